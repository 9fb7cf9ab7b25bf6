import { describe, expect, it } from 'vitest';
import {
  canonicalParams,
  canonicalizeV2,
  canonicalizeV5,
  duoHeadersHash,
  hmacHex,
  parseAuthorization,
  sha512Hex,
  signV2,
  signV5,
  verifySignature,
  type DuoParams,
} from './signing.js';

// Every vector of reference/duo-admin-api.md §1.7 (A–F) and §1.8, verbatim.

const A = {
  ikey: 'test_ikey',
  skey: 'gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT',
  date: 'Fri, 07 Dec 2012 17:18:00 -0000',
  method: 'PoSt',
  host: 'foO.BAr52.cOm',
  path: '/Foo/BaR2/qux',
  params: [
    [
      '\u469a\u287b\u35d0\u8ef3\u6727\u502a\u0810\ud091\u00c8\uc170',
      '\u0f45\u1a76\u341a\u654c\uc23f\u9b09\uabe2\u8343\u1b27\u60d0',
    ],
    [
      '\u7449\u7e4b\uccfb\u59ff\ufe5f\u83b7\uadcc\u900c\ucfd1\u7813',
      '\u8db7\u5022\u92d3\u42ef\u207d\u8730\uacfe\u5617\u0946\u4e30',
    ],
    [
      '\u7470\u9314\u901c\u9eae\u40d8\u4201\u82d8\u8c70\u1d31\ua042',
      '\u17d9\u0ba8\u9358\uaadf\ua42a\u48be\ufb96\u6fe9\ub7ff\u32f3',
    ],
    [
      '\uc2c5\u2c1d\u2620\u3617\u96b3F\u8605\u20e8\uac21\u5934',
      '\ufba9\u41aa\ubd83\u840b\u2615\u3e6e\u652d\ua8b5\ud56bU',
    ],
  ] as DuoParams,
};
const A_CANONICAL =
  'Fri, 07 Dec 2012 17:18:00 -0000\nPOST\nfoo.bar52.com\n/Foo/BaR2/qux\n%E4%9A%9A%E2%A1%BB%E3%97%90%E8%BB%B3%E6%9C%A7%E5%80%AA%E0%A0%90%ED%82%91%C3%88%EC%85%B0=%E0%BD%85%E1%A9%B6%E3%90%9A%E6%95%8C%EC%88%BF%E9%AC%89%EA%AF%A2%E8%8D%83%E1%AC%A7%E6%83%90&%E7%91%89%E7%B9%8B%EC%B3%BB%E5%A7%BF%EF%B9%9F%E8%8E%B7%EA%B7%8C%E9%80%8C%EC%BF%91%E7%A0%93=%E8%B6%B7%E5%80%A2%E9%8B%93%E4%8B%AF%E2%81%BD%E8%9C%B0%EA%B3%BE%E5%98%97%E0%A5%86%E4%B8%B0&%E7%91%B0%E9%8C%94%E9%80%9C%E9%BA%AE%E4%83%98%E4%88%81%E8%8B%98%E8%B1%B0%E1%B4%B1%EA%81%82=%E1%9F%99%E0%AE%A8%E9%8D%98%EA%AB%9F%EA%90%AA%E4%A2%BE%EF%AE%96%E6%BF%A9%EB%9F%BF%E3%8B%B3&%EC%8B%85%E2%B0%9D%E2%98%A0%E3%98%97%E9%9A%B3F%E8%98%85%E2%83%A8%EA%B0%A1%E5%A4%B4=%EF%AE%A9%E4%86%AA%EB%B6%83%E8%90%8B%E2%98%95%E3%B9%AE%E6%94%AD%EA%A2%B5%ED%95%ABU';

const SHA512_EMPTY =
  'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e';
const JSON_STRING = '{"alpha":["a","b","c","d"],"data":"abc123","info":{"another":2,"test":1}}';

describe('signature vector A (Python, C#, Java)', () => {
  it('canonicalises unicode parameters, method and host exactly as Duo does', () => {
    expect(canonicalizeV2(A)).toBe(A_CANONICAL);
  });

  it('signs with HMAC-SHA512', () => {
    expect(hmacHex(A.skey, A_CANONICAL, 'sha512')).toBe(
      '0508065035a03b2a1de2f453e629e791d180329e157f65df6b3e0f08299d4321e1c5c7a7c7ee6b9e5fc80d1fb6fbf3ad5eb7c44dd3b3985a02c37aca53ec3698',
    );
    expect(signV2(A)).toBe(
      'Basic dGVzdF9pa2V5OjA1MDgwNjUwMzVhMDNiMmExZGUyZjQ1M2U2MjllNzkxZDE4MDMyOWUxNTdmNjVkZjZiM2UwZjA4Mjk5ZDQzMjFlMWM1YzdhN2M3ZWU2YjllNWZjODBkMWZiNmZiZjNhZDVlYjdjNDRkZDNiMzk4NWEwMmMzN2FjYTUzZWMzNjk4',
    );
  });

  it('signs with the legacy HMAC-SHA1', () => {
    const hex = 'f01811cbbf9561623ab45b893096267fd46a5178';
    expect(hmacHex(A.skey, A_CANONICAL, 'sha1')).toBe(hex);
    expect(signV2(A, 'sha1')).toBe('Basic ' + Buffer.from(`test_ikey:${hex}`).toString('base64'));
  });
});

describe('signature vector B: canonical parameters', () => {
  const cases: [DuoParams, string][] = [
    [[], ''],
    [[['realname', 'First Last']], 'realname=First%20Last'],
    [
      [
        ['realname', 'First Last'],
        ['username', 'root'],
      ],
      'realname=First%20Last&username=root',
    ],
    [
      [
        ['words', 'First Last'],
        ['success', 'true'],
        ['digit', '5'],
      ],
      'digit=5&success=true&words=First%20Last',
    ],
    [
      [
        ['foo_bar', '2'],
        ['foo', '1'],
      ],
      'foo=1&foo_bar=2',
    ],
    [
      [
        ['ip_whitelist_enroll_policy', '2'],
        ['ip_whitelist', '1'],
      ],
      'ip_whitelist=1&ip_whitelist_enroll_policy=2',
    ],
    [
      [
        ['digits', '0123456789'],
        ['letters', 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'],
        ['punctuation', '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~'],
        ['whitespace', '\t\n\x0b\x0c\r '],
      ],
      'digits=0123456789&letters=abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ&punctuation=%21%22%23%24%25%26%27%28%29%2A%2B%2C-.%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E_%60%7B%7C%7D~&whitespace=%09%0A%0B%0C%0D%20',
    ],
  ];
  it.each(cases)('canonicalises %j', (params, expected) => {
    expect(canonicalParams(params)).toBe(expected);
  });

  it('sorts repeated keys by value and uppercases method and lowercases host (Go)', () => {
    const canonical = canonicalizeV2({
      ikey: 'i',
      skey: 's',
      date: '5',
      method: 'post',
      host: 'API-XXX.duosecurity.COM',
      path: '/',
      params: [
        ['username', 'H ell?o'],
        ['password', 'H-._~i'],
        ['password', "A(!'*)"],
      ],
    });
    expect(canonical.split('\n')).toEqual([
      '5',
      'POST',
      'api-xxx.duosecurity.com',
      '/',
      'password=A%28%21%27%2A%29&password=H-._~i&username=H%20ell%3Fo',
    ]);
  });
});

describe('signature vector C (Node)', () => {
  const base = {
    ikey: 'test_ikey',
    skey: 'test_skey',
    method: 'POST',
    host: 'test.duosecurity.com',
    path: '/test/v1',
    date: 'Tue, 21 Aug 2012 17:29:18 -0000',
  };
  it('signs v2', () => {
    expect(
      signV2({
        ...base,
        params: [
          ['realname', 'First Last'],
          ['username', 'root'],
        ],
      }),
    ).toBe(
      'Basic dGVzdF9pa2V5OjA0MmEzMGM2ODJiZDgzNmZjNWJhNDY3ODkxYTk1NmVhYTEwMDkxY2EwZjczYTdmYjM5NmFlZmQ1NmEzNTI5ZTU2OTMyZGVhNDI3YTY3MjEzYWY2NjRiYTY4NDE2ODlmZjIzMzZiN2EzNzM3NjZlYTVhYjdhYjlmZTI2MzgyMjZi',
    );
  });
  it('signs v5 with a JSON body', () => {
    expect(
      signV5({
        ...base,
        params: [],
        body: JSON.stringify({ realname: 'First Last', username: 'root' }),
      }),
    ).toBe(
      'Basic dGVzdF9pa2V5OjdkMDI0MDlhMTUyNzY0ODQzY2NjZDgyODRkYTE1M2IzZmI0NDZiYWFkNWY5OTg4ODYzMjVlMjRiYzljZDRhMjQ0ZGU4NWFkNGJmYTdlYTI4NWQ2ODIwOWYxNjA4MzU2NzNkOGI0ZjFlMWIyM2Q5Y2Q1MjFkMjZiZmU3ZjM2NmE0',
    );
  });
});

describe('signature vector D (Go)', () => {
  const base = {
    ikey: 'DIWJ8X6AEYOR5OMC6TQ1',
    skey: 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep',
    method: 'POST',
    host: 'api-XXXXXXXX.duosecurity.com',
    path: '/accounts/v1/account/list',
    date: 'Tue, 21 Aug 2012 17:29:18 -0000',
  };
  it('signs v2', () => {
    expect(
      signV2({
        ...base,
        params: [
          ['realname', 'First Last'],
          ['username', 'root'],
        ],
      }),
    ).toBe(
      'Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6MWJmZmI4OTI0MzQ4ZjdkYjdkYTllN2Q3ZDc0OWRlZDkzYWFmZDAyZDhlOTA0OTYwZGE3Yjk2YzU3NTEwMjIwMTg1YTY0YTI4MjdlZThmMjRhYzVkMzA4MDJhOWVlOTdlNTlkZTQ0YjMwNGIxODI0MmYwZDU5NmQxNWE4MTIyYWY=',
    );
  });
  it('signs v5 with parameters and a JSON body', () => {
    expect(
      signV5({
        ...base,
        params: [['realname', 'First Last']],
        body: '{"txid":"f22b1678-252a-4070-b176-0ca2be7319fd"}',
      }),
    ).toBe(
      'Basic RElXSjhYNkFFWU9SNU9NQzZUUTE6NzhmNDMyN2Y4MzExNzNjYzc4ZDA5MDdlOTEzZTNjNWEyOGZlNzJkZDQ1NDVhMzQyNTg2YmI2NzE4MWYyYmEzOTNkMjA5MTFlODcwMzYyZjZmYWJhM2RjNmY3ZTlkYjVlOTNhZWQyZjNiZmMxMTBjNmRhZGFmZjRkYzYxNzllMGI=',
    );
  });
  it('canonicalises v5', () => {
    expect(
      canonicalizeV5({
        ikey: 'i',
        skey: 's',
        params: [['username', 'H ell?o']],
        method: 'post',
        host: 'FOO.example.CoM',
        path: '/Foo/BaR2/qux',
        date: 'Fri, 07 Dec 2012 17:18:00 -0000',
        body: '{"activation_code":"duo://x1bTAIQGWXppdi2ctPVn-YXBpLWR1bzEuZHVvLnRlc3Q","user_id":"DU439XKOX2W6LMYHWLEV"}',
      }),
    ).toBe(
      'Fri, 07 Dec 2012 17:18:00 -0000\nPOST\nfoo.example.com\n/Foo/BaR2/qux\nusername=H%20ell%3Fo\n9ddab7d898836a76fafbb0dcef7bc83f14036b39bbb1ebbe43044f7c76338fa699eba8f0d3ecb329a084f32ef23c8a1609efad25032923b651e6f3f6d2f7b773\n' +
        SHA512_EMPTY,
    );
  });
});

describe('signature vector E: v5 header hashing', () => {
  it('hashes one x-duo header', () => {
    expect(duoHeadersHash({ 'X-Duo-Header-1': 'header_value_1' })).toBe(
      '630b4bfe7e9abd03da2eee8f0a5d4e60a254ec880a839bcc2223bb5b9443e8ef24d58f0254f1f5934bf8c017ebd0fd5b1acf86766bdbe74185e712a4092df3ed',
    );
  });
  it('lowercases header names, then sorts them', () => {
    const hash = duoHeadersHash({ 'x-duo-A': 'header_value_1', 'X-Duo-B': 'header_value_2' });
    expect(hash).toBe(
      '60be11a30e0756f2ee2afdce1db849b987dcf86c1133394bd7bbbc9877920330c4d78aceacbb377ab8cbd9a8efe6a410fed4047376635ac71226ab46ca10d2b1',
    );
    expect(
      canonicalizeV5({
        ikey: 'i',
        skey: 's',
        date: 'Tue, 17 Nov 2020 14:12:00',
        method: 'POST',
        host: 'foo.bar52.com',
        path: '/Foo/BaR2/qux',
        params: [],
        body: JSON_STRING,
        duoHeaders: { 'x-duo-A': 'header_value_1', 'X-Duo-B': 'header_value_2' },
      }),
    ).toBe(
      `Tue, 17 Nov 2020 14:12:00\nPOST\nfoo.bar52.com\n/Foo/BaR2/qux\n\n${sha512Hex(JSON_STRING)}\n${hash}`,
    );
  });
  it('hashes no headers as the SHA-512 of the empty string', () => {
    expect(duoHeadersHash({})).toBe(SHA512_EMPTY);
  });
  it('refuses headers that are not x-duo-, repeat, or carry a NUL', () => {
    expect(() => duoHeadersHash({ 'X-Other': 'v' })).toThrow(/x-duo-/);
    expect(() => duoHeadersHash({ 'X-Duo-A': 'v', 'x-duo-a': 'w' })).toThrow(/twice/);
    expect(() => duoHeadersHash({ 'X-Duo-A': 'v\0' })).toThrow(/NUL/);
  });
});

describe('signature vector F (C# v5)', () => {
  it('canonicalises and signs a full v5 request', () => {
    const input = {
      ikey: 'test_ikey',
      skey: 'gtdfxv9YgVBYcF6dl2Eq17KUQJN2PLM2ODVTkvoT',
      host: 'foo.bar52.com',
      method: 'POST',
      path: '/Foo/BaR2/qux',
      date: 'Fri, 07 Dec 2012 17:18:00 -0000',
      params: [],
      body: JSON_STRING,
      duoHeaders: { 'X-Duo-Header-1': 'header_value_1' },
    };
    expect(canonicalizeV5(input)).toBe(
      'Fri, 07 Dec 2012 17:18:00 -0000\nPOST\nfoo.bar52.com\n/Foo/BaR2/qux\n\nc30ca4ffc7fe4272aa6ae7a3c94cf71c11ed8ae7aaa32e81a401a59f1cef0866ccb02304380cdc48a813b1566c457653fa62736022f0cfeadcec8cd7c6233480\n630b4bfe7e9abd03da2eee8f0a5d4e60a254ec880a839bcc2223bb5b9443e8ef24d58f0254f1f5934bf8c017ebd0fd5b1acf86766bdbe74185e712a4092df3ed',
    );
    expect(signV5(input)).toBe(
      'Basic dGVzdF9pa2V5OjY2MDc2NjEwOTcwYzIzMDU2YzhjZTBjNjZkZGQyZGIyZDBmMTA4NzZhODI1ODE0ZDkyZTllZTNkZDA0MTg5NzUyYzg4YTViZTc5ZDIwZjZkNTZjYWNjN2E5ZjE2YTZiOGU2OTVhMDAyOGE3ZjYwZWQyMTk0OTZhYzUzZGRmYWM3',
    );
  });
});

describe('§1.8 derived GET vectors', () => {
  const base = {
    ikey: 'DIWJ8X6AEYOR5OMC6TQ1',
    skey: 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep',
    host: 'api-XXXXXXXX.duosecurity.com',
    date: 'Tue, 21 Aug 2012 17:29:18 -0000',
    method: 'GET',
  };
  const users = {
    ...base,
    path: '/admin/v1/users',
    params: [
      ['limit', '100'],
      ['offset', '0'],
    ] as DuoParams,
  };
  const authlogs = {
    ...base,
    path: '/admin/v2/logs/authentication',
    params: [
      ['mintime', '1532951895000'],
      ['maxtime', '1532952000000'],
      ['limit', '1000'],
      ['sort', 'ts:asc'],
      ['next_offset', '1532951895000,af0ba235-0b33-23c8-bc23-a31aa0231de8'],
    ] as DuoParams,
  };
  const sig = (header: string) => parseAuthorization(header)?.signature;

  it('signs a users page in v2 and v5', () => {
    expect(canonicalizeV2(users)).toBe(
      'Tue, 21 Aug 2012 17:29:18 -0000\nGET\napi-xxxxxxxx.duosecurity.com\n/admin/v1/users\nlimit=100&offset=0',
    );
    expect(canonicalizeV5(users)).toBe(
      `${canonicalizeV2(users)}\n${SHA512_EMPTY}\n${SHA512_EMPTY}`,
    );
    expect(sig(signV2(users))).toBe(
      '267458248022131e30842fbd3ffaa2e049239da488cba3da6249a9fd0a5b69d8023215e403dd3c8c7d1f000708a94376c72e1ef5783aa5b18f30e58512030746',
    );
    expect(sig(signV5(users))).toBe(
      'f5afcd661b744f2937badaae9df18ea174ba1573f7f03d12d7fd8065a9f766a447198949750cb17004175830b76cd66e90435d813ddd1616687abe8641b35b95',
    );
  });

  it('signs an authentication log page with a comma-joined next_offset', () => {
    expect(canonicalizeV2(authlogs).split('\n')[4]).toBe(
      'limit=1000&maxtime=1532952000000&mintime=1532951895000&next_offset=1532951895000%2Caf0ba235-0b33-23c8-bc23-a31aa0231de8&sort=ts%3Aasc',
    );
    expect(sig(signV2(authlogs))).toBe(
      '1103bbd162ec450facf2790d7a94c3e2459fdb47c0fd2d958ad6579db9febba938cbe3d093387aec3c382349aa8f787b470fcd47b872d68298ad2354eaf884ef',
    );
    expect(sig(signV5(authlogs))).toBe(
      '5ce2bc0e6b0d293010641d03ab2dc17b6ecc84531736389ce6fac7dada1dc6c45900ef81c672d888be107b877c86b3e5a82edfec98a82b71648ec4f34ffc2e95',
    );
  });
});

describe('writes: DELETE and POST', () => {
  const sig = (header: string) => parseAuthorization(header)?.signature ?? '';
  const base = {
    ikey: 'DIWJ8X6AEYOR5OMC6TQ1',
    skey: 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep',
    date: 'Tue, 21 Aug 2012 17:29:18 -0000',
    host: 'api-XXXXXXXX.duosecurity.com',
  };

  it('canonicalises a DELETE like a GET: its parameters from the query, an empty body', () => {
    const remove = {
      ...base,
      method: 'delete',
      path: '/admin/v1/users/DU3RP9I2WOC59VZX672N/groups/DGXXXXXXXXXXXXXXXXX',
      params: [] as DuoParams,
    };
    expect(canonicalizeV5(remove).split('\n')).toEqual([
      base.date,
      'DELETE',
      'api-xxxxxxxx.duosecurity.com',
      '/admin/v1/users/DU3RP9I2WOC59VZX672N/groups/DGXXXXXXXXXXXXXXXXX',
      '',
      SHA512_EMPTY,
      SHA512_EMPTY,
    ]);
  });

  it('signs a v5 POST by its JSON body, with an empty parameters line, and a v2 POST by its form parameters', () => {
    const path = '/admin/v1/users/DU3RP9I2WOC59VZX672N';
    const body = '{"status":"disabled"}';
    const v5 = { ...base, method: 'POST', path, params: [] as DuoParams, body };
    expect(canonicalizeV5(v5).split('\n').slice(4)).toEqual(['', sha512Hex(body), SHA512_EMPTY]);
    const v2 = { ...base, method: 'POST', path, params: [['status', 'disabled']] as DuoParams };
    expect(canonicalizeV2(v2).split('\n')[4]).toBe('status=disabled');
    // The verifier accepts each, and neither with the other's parameters.
    expect(verifySignature(v5, sig(signV5(v5)))).toBe('v5');
    expect(verifySignature(v2, sig(signV2(v2)))).toBe('v2-sha512');
    expect(
      verifySignature({ ...v5, body: '{"status":"active"}' }, sig(signV5(v5))),
    ).toBeUndefined();
    expect(
      verifySignature({ ...v2, params: [['status', 'active']] }, sig(signV2(v2))),
    ).toBeUndefined();
  });
});

describe('verifySignature', () => {
  it('recognises each scheme a client may use and refuses a wrong key', () => {
    const v2sha1 = parseAuthorization(signV2(A, 'sha1'));
    const v2sha512 = parseAuthorization(signV2(A));
    const v5 = parseAuthorization(signV5(A));
    expect(verifySignature(A, v2sha1?.signature ?? '')).toBe('v2-sha1');
    expect(verifySignature(A, v2sha512?.signature ?? '')).toBe('v2-sha512');
    expect(verifySignature(A, v5?.signature ?? '')).toBe('v5');
    expect(verifySignature({ ...A, skey: 'other' }, v5?.signature ?? '')).toBeUndefined();
  });

  it("accepts a repeated key's values in the order Duo's Node client signs them, or sorted", () => {
    const request = {
      ...A,
      method: 'GET',
      params: [
        ['next_offset', '1795911456548'],
        ['next_offset', '0a6f1d2e-0000-4000-8000-000000000000'],
      ] as DuoParams,
    };
    const nodeOrder = parseAuthorization(signV2({ ...request, keepValueOrder: true }));
    const sorted = parseAuthorization(signV2(request));
    expect(nodeOrder?.signature).not.toBe(sorted?.signature);
    expect(verifySignature(request, nodeOrder?.signature ?? '')).toBe('v2-sha512');
    expect(verifySignature(request, sorted?.signature ?? '')).toBe('v2-sha512');
  });

  it('parses Authorization headers and rejects garbled ones', () => {
    expect(parseAuthorization(signV2(A))?.ikey).toBe('test_ikey');
    expect(parseAuthorization(undefined)).toBeUndefined();
    expect(parseAuthorization('Bearer abc')).toBeUndefined();
    expect(
      parseAuthorization('Basic ' + Buffer.from('nocolon').toString('base64')),
    ).toBeUndefined();
    expect(
      parseAuthorization('Basic ' + Buffer.from('ikey:not-hex').toString('base64')),
    ).toBeUndefined();
  });
});
