/**
 * Authentication log records (access and auth device, adaptive trust, the user and their
 * groups) and the telephony records that follow phone-call and SMS authentications.
 *
 * @example const { authRecord } = createAuthenticationLog(tenant, users, groups, devices, picking, slots);
 */
import { authShape } from './auth-shape.js';
import type { Devices } from './devices.js';
import type { Groups } from './groups.js';
import { at, choose, hex8, mix, unit, uuidFrom } from './hash.js';
import { isoMicro } from './ids.js';
import type { Picking } from './picking.js';
import type { Slots } from './slots.js';
import type { Tenant } from './tenant.js';
import type { Users } from './users.js';

/** The functions createAuthenticationLog returns, as the modules built on them receive them. */
export type AuthenticationLog = ReturnType<typeof createAuthenticationLog>;

/** Builds authentication and telephony records from an event's minute and rank. */
export function createAuthenticationLog(
  tenant: Tenant,
  users: Users,
  groups: Groups,
  devices: Devices,
  picking: Picking,
  slots: Slots,
) {
  const { applications } = tenant;
  const { userHash, baseStatus, phoneCount, tokenCount, username, userId } = users;
  const { groupIndexesOf, groupName } = groups;
  const { phoneNumber, phoneKind, phoneId, tokenId, tokenObject } = devices;
  const { pickUser, eventPlace } = picking;
  const { authTs, telephonyTs, eventHash } = slots;

  function authCore(minute: number, rank: number) {
    const e = eventHash('authentication', minute, rank);
    const ts = authTs(minute, e);
    const shape = authShape(e);
    const user = pickUser(e, ts, shape.need);
    return { e, ts, shape, user, txid: uuidFrom(e, minute, rank), micro: mix(e, 7) % 1000 };
  }

  function accessDevice(user: number, e: number): Record<string, unknown> {
    const h = mix(userHash(Math.max(user, 0)), 30);
    const { place, ip } = eventPlace(user, mix(e, 8));
    const osRoll = unit(mix(h, 1));
    const [os, osVersion, browser, browserVersion] =
      osRoll < 0.55
        ? [
            'Windows',
            choose(['10', '11'], mix(h, 2)),
            unit(mix(h, 3)) < 0.7 ? 'Chrome' : 'Edge',
            '124.0.6367.91',
          ]
        : osRoll < 0.8
          ? [
              'Mac OS X',
              choose(['13.6.4', '14.4.1'], mix(h, 2)),
              unit(mix(h, 3)) < 0.5 ? 'Safari' : 'Chrome',
              '17.4.1',
            ]
          : osRoll < 0.9
            ? ['iOS', '17.4.1', 'Mobile Safari', '17.4']
            : osRoll < 0.97
              ? ['Android', '14', 'Chrome Mobile', '124.0.6367.82']
              : ['Linux', null, 'Firefox', '125.0'];
    const tri = (k: number): boolean | string => {
      const r = unit(mix(e, 40 + k));
      return r < 0.7 ? true : r < 0.9 ? false : 'unknown';
    };
    const agentsRoll = unit(mix(e, 45));
    return {
      browser,
      browser_version: browserVersion,
      epkey: null,
      flash_version: 'uninstalled',
      hostname: null,
      ip,
      is_encryption_enabled: tri(1),
      is_firewall_enabled: tri(2),
      is_password_set: tri(3),
      java_version: 'uninstalled',
      location: { city: place.city, country: place.country, state: place.state },
      os,
      os_version: osVersion,
      security_agents:
        agentsRoll < 0.3
          ? [{ security_agent: 'cisco-amp', version: '1' }]
          : agentsRoll < 0.6
            ? []
            : agentsRoll < 0.8
              ? null
              : 'unknown',
    };
  }

  function authDevice(
    user: number,
    factor: string | null,
    e: number,
  ): Record<string, unknown> | null {
    if (user < 0 || factor === null) return null;
    const { place, ip } = eventPlace(user, mix(e, 9));
    const location = { city: place.city, country: place.country, state: place.state };
    switch (factor) {
      case 'duo_push':
      case 'duo_mobile_passcode':
        if (phoneCount(user) === 0) return null;
        return {
          ip,
          key: phoneId(user, 0),
          location,
          name: `${phoneKind(user, 0).model} (${phoneNumber(user, 0)})`,
        };
      case 'phone_call':
      case 'sms_passcode':
      case 'sms_refresh':
        if (phoneCount(user) === 0) return null;
        return {
          ip: null,
          key: phoneId(user, 0),
          location: { city: null, country: null, state: null },
          name: phoneNumber(user, 0),
        };
      case 'hardware_token':
      case 'yubikey_code':
        if (tokenCount(user) === 0) return null;
        return {
          ip: null,
          key: tokenId(user),
          location: { city: null, country: null, state: null },
          name: String(tokenObject(user).serial),
        };
      case 'WebAuthn Security Key':
      case 'WebAuthn Chrome Touch ID':
      case 'WebAuthn Credential':
        return {
          ip: null,
          key: `WA${hex8(mix(userHash(user), 31)).toUpperCase()}`,
          location,
          name: factor === 'WebAuthn Chrome Touch ID' ? 'Touch ID' : 'YubiKey 5 NFC',
        };
      default:
        return null;
    }
  }

  function trustAssessment(low: boolean): Record<string, unknown> {
    return {
      features_version: '3.0',
      model_version: '2022.07.19.001',
      policy_enabled: false,
      reason: low
        ? 'Unusual location and device for this user'
        : 'Normal level of trust; no detection of known attack pattern',
      trust_level: low ? 'LOW' : 'NORMAL',
    };
  }

  function authRecord(minute: number, rank: number): Record<string, unknown> {
    const { e, ts, shape, user, txid, micro } = authCore(minute, rank);
    const name = user >= 0 ? username(user) : 'unknown';
    const suspicious = shape.result === 'fraud' || unit(mix(e, 10)) < 0.01;
    const app = at(applications, Math.floor(applications.length * unit(mix(e, 11)) ** 2));
    return {
      access_device: accessDevice(user, e),
      adaptive_trust_assessments: {
        more_secure_auth: trustAssessment(suspicious),
        remember_me: trustAssessment(suspicious),
      },
      alias: '',
      application: { key: app.key, name: app.name },
      auth_device: authDevice(user, shape.factor, e),
      email: user >= 0 ? `${name}@example.com` : '',
      event_type: shape.eventType,
      factor: shape.factor,
      isotimestamp: isoMicro(ts, micro),
      ood_software: null,
      reason:
        shape.reason ??
        (shape.need === 'status_denied' && user >= 0 ? statusDenialReason(user) : null),
      result: shape.result,
      timestamp: Math.floor(ts / 1000),
      trusted_endpoint_status: choose(
        ['not trusted', 'not trusted', 'trusted', 'unknown'],
        mix(e, 12),
      ),
      txid,
      user: {
        groups: user >= 0 ? groupIndexesOf(user).map((g) => groupName(g)) : [],
        key: user >= 0 ? userId(user) : null,
        name,
      },
    };
  }

  function statusDenialReason(user: number): string {
    return baseStatus(user) === 'disabled' ? 'user_disabled' : 'locked_out';
  }

  function telephonyRecord(minute: number, rank: number): Record<string, unknown> {
    const { e, ts: authAt, shape, user, txid } = authCore(minute, rank);
    const ts = telephonyTs(authAt, e);
    const sms = shape.factor === 'sms_passcode';
    const phone = user >= 0 && phoneCount(user) > 0 ? phoneNumber(user, 0) : null;
    return {
      context: 'authentication',
      credits: sms ? 1 : 2,
      phone,
      telephony_id: uuidFrom(mix(e, 0x7e1), minute, rank),
      ts: isoMicro(ts, mix(e, 21) % 1000),
      txid,
      type: sms ? 'sms' : 'phone',
    };
  }

  return {
    authCore,
    accessDevice,
    authDevice,
    trustAssessment,
    authRecord,
    statusDenialReason,
    telephonyRecord,
  };
}
