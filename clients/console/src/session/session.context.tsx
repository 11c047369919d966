import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Code } from '@connectrpc/connect';
import { clearCredentials, credentialKind, storeCredential, type CredentialKind } from '../api/api-key.store';
import { governance } from '../api/transport';
import { isStatus } from '../api/error-words';
import type { WhoAmIResponse } from '../gen/aos/v1/governance_pb';
import { allows, grantedPermissions } from './caller-permissions';

interface Session {
  signedIn: boolean;
  whoAmI: WhoAmIResponse | undefined;
  /** Whether the caller's roles grant `permission`: what the console offers. */
  can: (permission: string) => boolean;
  /** Keeps the API key or OIDC token (sessionStorage only) that WhoAmI just accepted. */
  signIn: (kind: CredentialKind, secret: string, whoAmI: WhoAmIResponse) => void;
  signOut: () => void;
  /** Whether the last sign-out in this tab ended an OIDC session, so the sign-in page can offer the issuer's sign-out. */
  signedOutOfOidc: boolean;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [signedIn, setSignedIn] = useState(() => credentialKind() !== null);
  const [signedOutOfOidc, setSignedOutOfOidc] = useState(false);

  const signOut = useCallback(() => {
    setSignedOutOfOidc(credentialKind() === 'oidc');
    clearCredentials();
    queryClient.clear();
    setSignedIn(false);
  }, [queryClient]);

  const whoAmI = useQuery({
    queryKey: ['whoAmI'],
    enabled: signedIn,
    queryFn: async () => {
      try {
        return await governance.whoAmI({});
      } catch (error) {
        // A key revoked or a token expired since sign-in: back to the sign-in page.
        if (isStatus(error, Code.Unauthenticated)) signOut();
        throw error;
      }
    },
  });

  const roles = whoAmI.data?.roles;
  const customRoles = useQuery({
    queryKey: ['customRoles', roles],
    enabled: signedIn && !!roles?.length,
    queryFn: async () => {
      const { roles: defined } = await governance.listRoles({}).catch(() => ({ roles: [] }));
      return new Map(defined.filter((r) => !r.builtIn).map((r) => [r.name, r.permissions]));
    },
  });

  const granted = useMemo(
    () => grantedPermissions(roles ?? [], customRoles.data ?? new Map()),
    [roles, customRoles.data],
  );

  const signIn = useCallback(
    (kind: CredentialKind, secret: string, me: WhoAmIResponse) => {
      storeCredential(kind, secret);
      setSignedOutOfOidc(false);
      queryClient.clear();
      queryClient.setQueryData(['whoAmI'], me);
      setSignedIn(true);
    },
    [queryClient],
  );

  const value = useMemo<Session>(
    () => ({ signedIn, whoAmI: whoAmI.data, can: (p) => allows(granted, p), signIn, signOut, signedOutOfOidc }),
    [signedIn, whoAmI.data, granted, signIn, signOut, signedOutOfOidc],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession is used outside SessionProvider');
  return session;
}
