/**
 * Authentication factors under one set of names. Duo spells one factor several ways: the v2
 * authentication log's `factor` (`sms_passcode`, `WebAuthn Security Key`), the telephony log's
 * `type` (`sms`, `phone`), and the legacy v1 log's words (`SMS Passcode`, `Duo Push`). Every value
 * is stored and shown as the name below, so one factor is counted once and filtered by one name.
 *
 * @example factorName('sms') === 'sms_passcode'; factorLabel('sms_passcode') === 'SMS passcode'
 */

/** Every factor name duo-insights knows, with what the console shows for it. */
export const FACTOR_LABELS = {
  duo_push: 'Duo Push',
  phone_call: 'Phone call',
  sms_passcode: 'SMS passcode',
  sms_refresh: 'SMS passcodes resent',
  duo_mobile_passcode: 'Duo Mobile passcode',
  passcode: 'Passcode',
  hardware_token: 'Hardware token',
  yubikey_code: 'YubiKey passcode',
  digipass_go_7_token: 'DIGIPASS GO 7 token',
  u2f_token: 'U2F token',
  webauthn_security_key: 'WebAuthn security key',
  webauthn_chrome_touch_id: 'WebAuthn Touch ID',
  webauthn_credential: 'WebAuthn credential',
  bypass_code: 'Bypass code',
  remembered_device: 'Remembered device',
  trusted_network: 'Trusted network',
  trusted_mobile_authenticator: 'Trusted mobile authenticator',
  not_available: 'Not available',
} as const;

export type FactorName = keyof typeof FACTOR_LABELS;

/**
 * Spellings that are not the name once lower-cased and joined with `_`: the telephony log's
 * `type`, the Auth API's short factor words, the legacy log's words and the offline factor.
 */
const ALIASES: Readonly<Record<string, FactorName>> = {
  sms: 'sms_passcode',
  phone: 'phone_call',
  push: 'duo_push',
  yubikey_passcode: 'yubikey_code',
  yubikey: 'yubikey_code',
  token: 'hardware_token',
  bypass: 'bypass_code',
  u2f: 'u2f_token',
  duo_otp: 'duo_mobile_passcode',
  webauthn_touch_id: 'webauthn_chrome_touch_id',
};

/** `WebAuthn Security Key` → `webauthn_security_key`. */
function slug(value: string): string {
  return value
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * The one name of a factor as Duo sent it (any log, any spelling). A value Duo adds later keeps
 * its own name (lower case, words joined with `_`), so nothing is lost; an empty one is undefined.
 */
export function factorName(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const key = slug(value);
  if (key.length === 0) return undefined;
  return ALIASES[key] ?? key;
}

function isKnown(name: string): name is FactorName {
  return Object.hasOwn(FACTOR_LABELS, name);
}

/** What the console shows for a factor name (`sms_passcode` → `SMS passcode`). */
export function factorLabel(name: string): string {
  if (isKnown(name)) return FACTOR_LABELS[name];
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
