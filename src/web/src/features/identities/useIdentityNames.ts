/**
 * Display names of identities by id (e.g. source owners), fetched once per id while the
 * component lives; an id not (yet) known shows as undefined.
 */
import { useEffect, useState } from 'react';
import { useApi } from '../auth/session';
import { getIdentity } from './api';

export function useIdentityNames(ids: readonly string[]): ReadonlyMap<string, string> {
  const api = useApi();
  const [names, setNames] = useState<ReadonlyMap<string, string>>(new Map());
  const key = [...new Set(ids)].sort().join(',');
  useEffect(() => {
    let live = true;
    const wanted = key.split(',').filter(Boolean);
    void Promise.all(
      wanted.map((id) =>
        getIdentity(api, id).then(
          (identity) => [id, identity.displayName] as const,
          () => [id, '—'] as const,
        ),
      ),
    ).then((pairs) => {
      if (live) setNames(new Map(pairs));
    });
    return () => {
      live = false;
    };
  }, [api, key]);
  return names;
}
