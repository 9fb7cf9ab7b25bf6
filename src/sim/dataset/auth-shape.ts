/**
 * The shape of an authentication event (event type, factor, result, reason, and the kind of user
 * it needs), a function of its hash alone, so that telephony can be counted without records.
 *
 * @example const { factor, result } = authShape(eventHash);
 */
import { choose, mix, unit, weighted } from './hash.js';

export type AuthNeed = 'any' | 'phone' | 'mobile' | 'token' | 'status_denied' | 'bypass';

const NORMAL_FACTORS: readonly (readonly [string, number])[] = [
  ['duo_push', 60],
  ['remembered_device', 8],
  ['duo_mobile_passcode', 6],
  ['sms_passcode', 6],
  ['phone_call', 5],
  ['WebAuthn Security Key', 3],
  ['WebAuthn Chrome Touch ID', 2],
  ['WebAuthn Credential', 2],
  ['hardware_token', 2],
  ['trusted_network', 2],
  ['yubikey_code', 1],
  ['bypass_code', 1],
  ['passcode', 1],
  ['sms_refresh', 1],
];

export interface AuthShape {
  readonly eventType: 'authentication' | 'enrollment';
  readonly factor: string | null;
  readonly result: 'success' | 'denied' | 'fraud';
  readonly reason: string | null;
  readonly need: AuthNeed;
}

/** The factor of an authentication event, cheaply (telephony counts need only this). */
export function authFactor(e: number): string | null {
  const roll = unit(mix(e, 3));
  if (roll < 0.004) return null;
  if (roll < 0.009) return 'not_available';
  if (roll < 0.012) return null;
  const factor = weighted(NORMAL_FACTORS, mix(e, 4));
  const fraud =
    unit(mix(e, 5)) >= 0.99 && factor !== 'remembered_device' && factor !== 'trusted_network';
  return fraud && factor !== 'phone_call' ? 'duo_push' : factor;
}

/** Result, reason and factor of an authentication event: a function of its hash alone. */
export function authShape(e: number): AuthShape {
  const roll = unit(mix(e, 3));
  if (roll < 0.004) {
    return {
      eventType: 'authentication',
      factor: null,
      result: 'denied',
      reason: null,
      need: 'status_denied',
    };
  }
  if (roll < 0.009) {
    return {
      eventType: 'authentication',
      factor: 'not_available',
      result: 'success',
      reason: 'bypass_user',
      need: 'bypass',
    };
  }
  if (roll < 0.012) {
    return { eventType: 'enrollment', factor: null, result: 'success', reason: null, need: 'any' };
  }
  const factor = authFactor(e) ?? 'duo_push';
  const resultRoll = unit(mix(e, 5));
  let result: AuthShape['result'] =
    resultRoll < 0.9 ? 'success' : resultRoll < 0.99 ? 'denied' : 'fraud';
  if (factor === 'remembered_device' || factor === 'trusted_network') result = 'success';
  const reason = authReason(factor, result, mix(e, 6));
  const need: AuthNeed =
    factor === 'phone_call'
      ? 'phone'
      : factor === 'sms_passcode' || factor === 'duo_push' || factor === 'duo_mobile_passcode'
        ? 'mobile'
        : factor === 'hardware_token' || factor === 'yubikey_code'
          ? 'token'
          : 'any';
  return { eventType: 'authentication', factor, result, reason, need };
}

function authReason(factor: string, result: AuthShape['result'], h: number): string {
  if (result === 'fraud') return 'user_marked_fraud';
  if (result === 'success') {
    if (factor === 'remembered_device' || factor === 'trusted_network') return factor;
    if (factor === 'duo_push' || factor === 'phone_call' || factor.startsWith('WebAuthn'))
      return 'user_approved';
    return 'valid_passcode';
  }
  switch (factor) {
    case 'duo_push':
      return choose(
        [
          'no_response',
          'no_response',
          'user_mistake',
          'location_restricted',
          'anomalous_push',
          'user_not_in_permitted_group',
        ],
        h,
      );
    case 'phone_call':
      return choose(['no_keys_pressed', 'call_timed_out', 'user_mistake'], h);
    default:
      return factor.startsWith('WebAuthn')
        ? choose(['user_cancelled', 'platform_restricted', 'factor_restricted'], h)
        : choose(['invalid_passcode', 'invalid_passcode', 'user_not_in_permitted_group'], h);
  }
}
