/**
 * Users' phones and hardware tokens: number, kind (mobile or landline, platform, model), the
 * full Duo phone and token objects, and their ids.
 *
 * @example const { phoneObject } = createDevices(tenant); phoneObject(userIndex, 0).number;
 */
import type { DuoUser } from '../../duo/wire.js';
import { choose, mix, unit } from './hash.js';
import { makeId } from './ids.js';
import { AREA_CODES } from './tables.js';
import type { Tenant } from './tenant.js';

export type DuoPhone = NonNullable<DuoUser['phones']>[number];
export type DuoToken = NonNullable<DuoUser['tokens']>[number];

/** The functions createDevices returns, as the modules built on them receive them. */
export type Devices = ReturnType<typeof createDevices>;

/** The phone and token functions of the tenant's users. */
export function createDevices(tenant: Tenant) {
  const { start, phoneKey, tokenKey } = tenant;

  /** The first phone's kind: landlines can only take calls. */
  function phoneIsMobile(i: number, p: number): boolean {
    return unit(mix(mix(phoneKey, i), p * 8 + 1)) >= 0.05;
  }

  function phoneNumber(i: number, p: number): string {
    const h = mix(mix(phoneKey, i), p * 8 + 2);
    const exchange = 200 + ((h >>> 4) % 800);
    return `+1${choose(AREA_CODES, h)}${exchange}${String((h >>> 14) % 10_000).padStart(4, '0')}`;
  }

  function phoneKind(i: number, p: number): { mobile: boolean; platform: string; model: string } {
    const h = mix(mix(phoneKey, i), p * 8 + 3);
    const mobile = phoneIsMobile(i, p);
    if (!mobile) return { mobile, platform: 'Unknown', model: 'Unknown' };
    if (unit(mix(h, 1)) < 0.55) return { mobile, platform: 'Apple iOS', model: 'Apple iPhone' };
    if (unit(mix(h, 2)) >= 0.9)
      return { mobile, platform: 'Generic Smartphone', model: 'Generic Smartphone' };
    const model = choose(['Google Pixel 8', 'Samsung Galaxy S23', 'OnePlus 11'], mix(h, 3));
    return { mobile, platform: 'Google Android', model };
  }

  function phoneObject(i: number, p: number): DuoPhone {
    const h = mix(mix(phoneKey, i), p * 8 + 3);
    const { mobile, platform, model } = phoneKind(i, p);
    const lastSeenMs = start - (mix(h, 4) % (30 * 86400)) * 1000;
    return {
      phone_id: phoneId(i, p),
      number: phoneNumber(i, p),
      extension: '',
      name: '',
      type: mobile ? 'Mobile' : 'Landline',
      platform,
      model,
      activated: mobile && unit(mix(h, 5)) < 0.92,
      capabilities: !mobile
        ? ['phone']
        : platform === 'Generic Smartphone'
          ? ['sms', 'phone']
          : ['auto', 'push', 'sms', 'phone', 'mobile_otp'],
      last_seen: new Date(lastSeenMs).toISOString().slice(0, 19),
      sms_passcodes_sent: unit(mix(h, 6)) < 0.2,
      predelay: null,
      postdelay: null,
      encrypted: mobile ? 'Encrypted' : '',
      fingerprint: mobile ? 'Configured' : '',
      screenlock: mobile ? 'Locked' : '',
      tampered: mobile ? 'Not tampered' : '',
    };
  }

  const phoneId = (i: number, p: number): string => makeId('DP', phoneKey, i * 2 + p);
  const tokenId = (i: number): string => makeId('DH', tokenKey, i);

  function tokenObject(i: number): DuoToken {
    const h = mix(tokenKey, i);
    return {
      serial: String(100000 + (h % 900000)),
      token_id: tokenId(i),
      type: choose(['h6', 'h8', 'yk', 'd1'], mix(h, 1)),
    };
  }

  return { phoneIsMobile, phoneNumber, phoneKind, phoneObject, phoneId, tokenId, tokenObject };
}
