import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AccessReviewMember, AdminAction, DormantAccount } from './contract/reports.js';
import { pageEncoder } from './page-encoder.js';

const Row = z.object({
  id: z.number(),
  name: z.string().nullable(),
  kind: z.enum(['user', 'administrator']),
  tags: z.array(z.string()),
  note: z.string().optional(),
});

describe('the page encoder', () => {
  it('writes what parsing each row would: the schema’s keys in its order, others dropped', () => {
    const page = [
      { tags: ['a'], extra: { secret: 'x' }, name: null, id: 1, kind: 'user' },
      { kind: 'administrator', id: 2, name: 'Ana', tags: [], note: 'n', secretKey: 's' },
    ];
    const encoded = pageEncoder(Row)(page);
    expect(encoded).toBe(JSON.stringify(z.array(Row).parse(page)));
    expect(encoded).not.toContain('secret');
  });

  it('fails a page whose first row breaks the contract, naming the field', () => {
    expect(() => pageEncoder(Row)([{ id: '1', name: null, kind: 'user', tags: [] }])).toThrow(/id/);
  });

  it('parses every row of a schema with values a replacer would change (unknown, nested)', () => {
    const Nested = z.object({ id: z.number(), payload: z.unknown() });
    const page = [
      { id: 1, payload: { id: 7, deep: { keep: true } } },
      { id: 2, payload: [1, { x: 1 }] },
    ];
    expect(pageEncoder(Nested)(page)).toBe(JSON.stringify(page));
    expect(() => pageEncoder(Nested)([...page, { id: 'three', payload: null }])).toThrow(/id/);
  });

  it('writes the reports’ rows as their schemas do', () => {
    const member = {
      accountId: 3,
      kind: 'user',
      adminRole: null,
      sourceId: 's',
      sourceName: 'Duo',
      duoUserId: 'DU1',
      username: 'ana',
      realname: 'Ana',
      email: null,
      status: 'active',
      identityId: 'i',
      identityName: 'Ana',
      identityEmail: null,
      lastLoginMs: null,
      lastEventMs: 5,
      lastActivityMs: 5,
      daysActive: 2,
      daysActive90: 2,
      suggestion: 'keep',
      reason: 'active on 2 of the last 90 days',
      userKey: 99,
    };
    expect(pageEncoder(AccessReviewMember)([member])).toBe(
      JSON.stringify(z.array(AccessReviewMember).parse([member])),
    );
    const dormant = { ...member, idleDays: 100, groups: ['Everyone', 'VPN'] };
    expect(pageEncoder(DormantAccount)([dormant])).toBe(
      JSON.stringify(z.array(DormantAccount).parse([dormant])),
    );
    const action = {
      id: 1,
      sourceId: 's',
      tsMs: 1,
      admin: 'Ana',
      action: 'user_update',
      object: 'bob',
      description: { status: 'disabled' },
      payload: { id: 1 },
    };
    expect(pageEncoder(AdminAction)([action])).toBe(JSON.stringify([action]));
  });
});
