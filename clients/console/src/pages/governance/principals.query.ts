import { useQuery } from '@tanstack/react-query';
import { allPages } from '../../api/all-pages';
import { governance } from '../../api/transport';
import { useSession } from '../../session/session.context';

/** Every principal of the tenant, for pickers by name and for showing a subject as a name. */
export function useAllPrincipals() {
  const { can } = useSession();
  return useQuery({
    queryKey: ['principals', 'all'],
    enabled: can('principals.list'),
    queryFn: () =>
      allPages(async (pageToken) => {
        const p = await governance.listPrincipals({ pageSize: 1000, pageToken });
        return { items: p.principals, nextPageToken: p.nextPageToken };
      }),
  });
}

/** "user:<id>" as the principal's name when it is known, else as written. */
export function useSubjectName(): (subject: string) => string {
  const principals = useAllPrincipals();
  const bySubject = new Map((principals.data ?? []).map((p) => [p.subject, p.name]));
  return (subject) => {
    const name = bySubject.get(subject);
    return name ? `${name} (${subject})` : subject;
  };
}
