import { describe, expect, it } from 'vitest';
import { FACTOR_LABELS, factorLabel, factorName } from './factors.js';

// Every factor value Duo documents: the v2 authentication log's `factor`, the telephony log's
// `type`, the legacy v1 log's words and the offline-enrollment factor.
const DOCUMENTED: readonly (readonly [string, string])[] = [
  // v2 authentication log `factor`
  ['duo_push', 'duo_push'],
  ['phone_call', 'phone_call'],
  ['u2f_token', 'u2f_token'],
  ['hardware_token', 'hardware_token'],
  ['bypass_code', 'bypass_code'],
  ['sms_passcode', 'sms_passcode'],
  ['duo_mobile_passcode', 'duo_mobile_passcode'],
  ['yubikey_code', 'yubikey_code'],
  ['passcode', 'passcode'],
  ['digipass_go_7_token', 'digipass_go_7_token'],
  ['WebAuthn Security Key', 'webauthn_security_key'],
  ['WebAuthn Chrome Touch ID', 'webauthn_chrome_touch_id'],
  ['WebAuthn Credential', 'webauthn_credential'],
  ['not_available', 'not_available'],
  ['sms_refresh', 'sms_refresh'],
  ['remembered_device', 'remembered_device'],
  ['trusted_network', 'trusted_network'],
  ['trusted_mobile_authenticator', 'trusted_mobile_authenticator'],
  // telephony log `type`
  ['sms', 'sms_passcode'],
  ['phone', 'phone_call'],
  // legacy v1 authentication log words
  ['Duo Push', 'duo_push'],
  ['Phone Call', 'phone_call'],
  ['SMS Passcode', 'sms_passcode'],
  ['SMS Refresh', 'sms_refresh'],
  ['Duo Mobile Passcode', 'duo_mobile_passcode'],
  ['Passcode', 'passcode'],
  ['Bypass Code', 'bypass_code'],
  ['Hardware Token', 'hardware_token'],
  ['YubiKey Passcode', 'yubikey_code'],
  ['U2F Token', 'u2f_token'],
  ['Remembered Device', 'remembered_device'],
  ['Trusted Network', 'trusted_network'],
  // Auth API short words and the offline-enrollment factor
  ['push', 'duo_push'],
  ['duo_otp', 'duo_mobile_passcode'],
];

describe('factor names', () => {
  it.each(DOCUMENTED)('names Duo’s %j as %j', (value, name) => {
    expect(factorName(value)).toBe(name);
  });

  it('gives every documented value a name with a label of its own', () => {
    for (const [value] of DOCUMENTED) {
      const name = factorName(value) ?? '';
      expect(Object.keys(FACTOR_LABELS)).toContain(name);
    }
  });

  it('counts a telephony SMS and an SMS passcode as one factor, and a phone with a phone call', () => {
    expect(factorName('sms')).toBe(factorName('sms_passcode'));
    expect(factorName('phone')).toBe(factorName('Phone Call'));
    expect(factorLabel(factorName('sms') ?? '')).toBe('SMS passcode');
    expect(factorLabel(factorName('phone') ?? '')).toBe('Phone call');
  });

  it('keeps a value Duo adds later under its own name, and drops empty ones', () => {
    expect(factorName('Passkey Platform')).toBe('passkey_platform');
    expect(factorLabel('passkey_platform')).toBe('Passkey platform');
    expect(factorName('')).toBeUndefined();
    expect(factorName(null)).toBeUndefined();
    expect(factorName(undefined)).toBeUndefined();
  });
});
