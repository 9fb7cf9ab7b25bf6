/* Applies the colour theme chosen with the shell's toggle (System, Light or Dark, remembered in
   localStorage) before the first paint: a classic script in <head>, not the bundle, which runs
   later. Without a choice the page follows prefers-color-scheme (styles.css). */
/* global document, localStorage */
(function () {
  try {
    var choice = localStorage.getItem('duo-insights-theme');
    if (choice === 'light' || choice === 'dark') document.documentElement.dataset.theme = choice;
  } catch {
    // Storage refused (a locked-down browser): follow the system.
  }
})();
