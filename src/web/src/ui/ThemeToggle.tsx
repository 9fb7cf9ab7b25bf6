/**
 * The shell's theme toggle: System (the device's setting), Light or Dark, remembered. On a
 * phone each choice shows as an icon; its name stays its label.
 */
import type { ReactNode } from 'react';
import { useThemeChoice, type ThemeChoice } from './theme';
import './theme-toggle.css';

function Icon({ children }: { children: ReactNode }) {
  return (
    <svg
      className="theme-icon"
      viewBox="0 0 16 16"
      aria-hidden="true"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.5"
      strokeLinecap="round"
    >
      {children}
    </svg>
  );
}

const CHOICES: readonly { id: ThemeChoice; label: string; icon: ReactNode }[] = [
  {
    id: 'system',
    label: 'System',
    icon: (
      <Icon>
        <rect x="1.75" y="2.75" width="12.5" height="8.5" rx="1.25" />
        <path d="M5.5 13.75h5" />
      </Icon>
    ),
  },
  {
    id: 'light',
    label: 'Light',
    icon: (
      <Icon>
        <circle cx="8" cy="8" r="2.75" />
        <path d="M8 1.5v1.5M8 13v1.5M1.5 8H3M13 8h1.5M3.4 3.4l1.06 1.06M11.54 11.54l1.06 1.06M3.4 12.6l1.06-1.06M11.54 4.46l1.06-1.06" />
      </Icon>
    ),
  },
  {
    id: 'dark',
    label: 'Dark',
    icon: (
      <Icon>
        <path d="M13.5 9.6A5.75 5.75 0 1 1 6.4 2.5a4.6 4.6 0 0 0 7.1 7.1z" />
      </Icon>
    ),
  },
];

export function ThemeToggle() {
  const [choice, setChoice] = useThemeChoice();
  return (
    <fieldset className="theme-toggle">
      <legend className="theme-toggle-legend">Theme</legend>
      <div className="theme-toggle-options">
        {CHOICES.map((option) => (
          <label
            key={option.id}
            className={option.id === choice ? 'theme-option theme-option-current' : 'theme-option'}
            title={`Theme: ${option.label}`}
          >
            <input
              type="radio"
              name="theme"
              value={option.id}
              checked={option.id === choice}
              onChange={() => {
                setChoice(option.id);
              }}
            />
            {option.icon}
            <span className="theme-option-label">{option.label}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
