import { describe, expect, it } from 'vitest';
import { describeAdminAction, descriptionFields } from './admin-actions.js';

describe('describeAdminAction', () => {
  it('says who did what to which object, with the description’s fields in words', () => {
    const words = describeAdminAction({
      admin: 'Ana Silva',
      action: 'user_update',
      object: 'bob',
      description: '{"status": "Disabled", "realname": "Bob Jones", "notes": ""}',
    });
    expect(words.who).toBe('Ana Silva');
    expect(words.what).toBe('updated user bob');
    expect(words.details).toEqual(['status: Disabled', 'real name: Bob Jones']);
    expect(words.text).toBe('Ana Silva updated user bob — status: Disabled; real name: Bob Jones');
  });

  it('adds a phone to the user the description names', () => {
    const words = describeAdminAction({
      admin: 'Ana Silva',
      action: 'phone_create',
      object: '+15550100',
      description: JSON.stringify({ number: '+15550100', type: 'Mobile', username: 'bob' }),
    });
    expect(words.text).toBe('Ana Silva added phone +15550100 to user bob — type: Mobile');
  });

  it('words Duo’s documented actions and booleans', () => {
    expect(
      describeAdminAction({
        admin: 'Ana Silva',
        action: 'integration_update',
        object: 'VPN',
        description: '{"adminapi_read_log": true, "greeting": ""}',
      }).text,
    ).toBe('Ana Silva updated application VPN — Admin API read log: yes');
    expect(
      describeAdminAction({
        admin: 'Ana Silva',
        action: 'admin_login',
        object: null,
        description: null,
      }).text,
    ).toBe('Ana Silva signed in to the Admin Panel');
  });

  it('says when an administrator viewed an application’s secret key', () => {
    expect(
      describeAdminAction({
        admin: 'Ana Silva',
        action: 'integration_skey_view',
        object: 'VPN',
        description: null,
      }).text,
    ).toBe('Ana Silva viewed the secret key of application VPN');
  });

  it('falls back to the action’s name in words, never raw JSON', () => {
    const words = describeAdminAction({
      admin: '',
      action: 'policy_sync_all',
      object: 'Global policy',
      description: '{"count": 3}',
    });
    expect(words.text).toBe(
      'Unnamed administrator performed “policy sync all” on Global policy — count: 3',
    );
  });

  it('reads descriptions that are not valid JSON', () => {
    expect(descriptionFields(`{'status': 'Disabled', 'notes': ''}`)).toEqual({
      status: 'Disabled',
      notes: '',
    });
    expect(descriptionFields('{"notes": "Joe asked for their nickname')).toEqual({
      notes: 'Joe asked for their nickname',
    });
    expect(descriptionFields('Updated user via Admin API')).toBe('Updated user via Admin API');
    expect(descriptionFields('{ not at all')).toBeNull();
    const sync = describeAdminAction({
      admin: '',
      action: 'user_update',
      object: 'bob',
      description: '{"status": "Active", "last_directory_sync": 1700000000}',
    });
    expect(sync.who).toBe('Directory sync');
    expect(sync.text).not.toMatch(/[{}"]/);
  });
});
