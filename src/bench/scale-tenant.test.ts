import { describe, expect, it } from 'vitest';
import { DAY_MS, ms } from '../domain/time.js';
import { createDataset } from '../sim/dataset.js';
import {
  EVERYONE_GROUP,
  parseSize,
  scalePlan,
  sizeLabel,
  withEveryoneGroup,
} from './scale-tenant.js';

const start = ms(Date.UTC(2026, 10, 30));

describe('the scale tenant', () => {
  it('reads sizes as users write them and names them back the same way', () => {
    expect(parseSize('300k')).toBe(300_000);
    expect(parseSize('1m')).toBe(1_000_000);
    expect(parseSize('2.5M')).toBe(2_500_000);
    expect(parseSize('10_000_000')).toBe(10_000_000);
    expect(['300k', '1m', '2.5m', '10m', '12345'].map((s) => sizeLabel(parseSize(s)))).toEqual([
      '300k',
      '1m',
      '2.5m',
      '10m',
      '12345',
    ]);
    expect(() => parseSize('lots')).toThrow(/--scale takes sizes such as 300k, 1m/);
    expect(() => parseSize('0.1k')).toThrow(/at least 1000 events/);
  });

  it('scales 50,000 users over 180 days at 10 M down in proportion, keeping the 180 days', () => {
    const plan = scalePlan(1_000_000, start);
    expect(plan).toMatchObject({ events: 1_000_000, users: 5_000, days: 180 });
    const dataset = createDataset({ ...plan, start });
    const stored = dataset.count('authentication', ms(start - 180 * DAY_MS), start, start);
    expect(stored / 1_000_000).toBeGreaterThan(0.97);
    expect(stored / 1_000_000).toBeLessThan(1.03);
  });

  it('adds one group of every user, listed by each user and paged like any group', () => {
    const plain = createDataset({ seed: 't', users: 250, days: 1, start, authEventsPerDay: 10 });
    const dataset = withEveryoneGroup(plain);
    expect(dataset.groupCount()).toBe(plain.groupCount() + 1);
    expect(dataset.groupAt(plain.groupCount()).group_id).toBe(EVERYONE_GROUP.group_id);
    expect(dataset.groupAt(0)).toEqual(plain.groupAt(0));
    const user = dataset.userAt(17);
    expect(user.groups?.map((g) => g.group_id)).toEqual([
      ...(plain.userAt(17).groups ?? []).map((g) => g.group_id),
      EVERYONE_GROUP.group_id,
    ]);
    expect(dataset.findUser(user.user_id)?.groups?.at(-1)?.name).toBe(EVERYONE_GROUP.name);
    const ids: string[] = [];
    for (let offset = 0; ; offset += 100) {
      const page = dataset.groupMembers(EVERYONE_GROUP.group_id, offset, 100);
      expect(page?.total).toBe(250);
      if (!page || page.members.length === 0) break;
      ids.push(...page.members.map((m) => m.user_id));
    }
    expect(new Set(ids).size).toBe(250);
    expect(dataset.groupMembers(plain.groupAt(0).group_id, 0, 500)).toEqual(
      plain.groupMembers(plain.groupAt(0).group_id, 0, 500),
    );
  });
});
