import { useEffect, useState, type FormEvent } from 'react';
import { Alert, Anchor, Button, Center, Divider, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Code, ConnectError } from '@connectrpc/connect';
import { useLocation, useNavigate } from 'react-router';
import { governance } from '../api/transport';
import { errorWords, statusName } from '../api/error-words';
import { LoadingIndicator } from '../components/LoadingIndicator';
import { useSession } from '../session/session.context';
import {
  CALLBACK_PATH,
  OidcSignInError,
  completeOidcSignIn,
  discover,
  fetchConsoleOidc,
  issuerHost,
  issuerSignOutUrl,
  startOidcSignIn,
  type ConsoleOidc,
} from '../session/oidc-sign-in';

/** Why WhoAmI refused what the issuer handed out, or why the round trip failed, in words. */
function oidcErrorWords(error: unknown, oidc: ConsoleOidc): string {
  if (error instanceof OidcSignInError) return error.message;
  const e = ConnectError.from(error);
  if (e.code === Code.Unauthenticated)
    return `AgentOS did not accept your sign-in with ${issuerHost(oidc)}: ${e.rawMessage} (${statusName(e.code)}).`;
  return errorWords(error);
}

export function SignInPage() {
  const { signIn, signedOutOfOidc } = useSession();
  const { pathname } = useLocation();
  const navigate = useNavigate();
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [oidcError, setOidcError] = useState<string | null>(null);
  const [redirecting, setRedirecting] = useState(false);
  const [exchanging, setExchanging] = useState(false);
  const onCallback = pathname === CALLBACK_PATH;

  const config = useQuery({ queryKey: ['consoleOidc'], queryFn: fetchConsoleOidc, staleTime: Infinity });
  const oidc = config.data ?? null;
  const issuerSignOut = useQuery({
    queryKey: ['issuerSignOut', oidc?.issuer],
    enabled: signedOutOfOidc && oidc !== null,
    queryFn: async () => (oidc ? (issuerSignOutUrl(oidc, await discover(oidc)) ?? null) : null),
  });

  useEffect(() => {
    if (!onCallback || config.isPending) return;
    const callbackUrl = window.location.href;
    // The code and state leave the address bar (and the history) whatever happens next.
    void navigate('/', { replace: true });
    setExchanging(true);
    if (!oidc) {
      setExchanging(false);
      setOidcError('This gateway is not configured for OIDC sign-in (AOS_CONSOLE_OIDC_CLIENT_ID is unset).');
      return;
    }
    void completeOidcSignIn(oidc, callbackUrl)
      .then(async (token) => {
        const me = await governance.whoAmI({}, { headers: { authorization: `Bearer ${token}` } });
        signIn('oidc', token, me);
      })
      .catch((e: unknown) => {
        setOidcError(oidcErrorWords(e, oidc));
        setExchanging(false);
      });
  }, [onCallback, config.isPending, oidc, navigate, signIn]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const key = apiKey.trim();
    if (!key) {
      setError('Enter an API key.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const me = await governance.whoAmI({}, { headers: { authorization: `Bearer ${key}` } });
      signIn('apiKey', key, me);
    } catch (e) {
      setError(errorWords(e));
    } finally {
      setBusy(false);
    }
  }

  async function signInWithIssuer(at: ConsoleOidc) {
    setRedirecting(true);
    setOidcError(null);
    try {
      await startOidcSignIn(at);
    } catch (e) {
      setOidcError(oidcErrorWords(e, at));
      setRedirecting(false);
    }
  }

  if ((onCallback || exchanging) && !oidcError) {
    return (
      <Center component="main" mih="100vh" p="md">
        <LoadingIndicator label={oidc ? `Signing you in with ${issuerHost(oidc)}…` : 'Signing you in…'} />
      </Center>
    );
  }

  return (
    <Center component="main" mih="100vh" p="md">
      <Paper component="form" onSubmit={submit} withBorder p="xl" w={420} maw="100%" noValidate>
        <Stack>
          <Title order={1} size="h2">
            Sign in to AgentOS
          </Title>
          {issuerSignOut.data && oidc && (
            <Alert color="blue" title="Signed out of AgentOS">
              You may still be signed in at {issuerHost(oidc)}.{' '}
              <Anchor href={issuerSignOut.data} c="blue.9" underline="always" inherit>
                Sign out of {issuerHost(oidc)} too
              </Anchor>
            </Alert>
          )}
          {oidc && (
            <>
              <Button type="button" variant="filled" loading={redirecting} onClick={() => void signInWithIssuer(oidc)}>
                Sign in with {issuerHost(oidc)}
              </Button>
              {oidcError && (
                <Alert color="red" title="Sign-in failed">
                  {oidcError}
                </Alert>
              )}
              <Divider label="or with an API key" labelPosition="center" />
            </>
          )}
          {!oidc && oidcError && (
            <Alert color="red" title="Sign-in failed">
              {oidcError}
            </Alert>
          )}
          <Text size="sm">
            Paste an API key. The bootstrap admin key is in <code>.aos/bootstrap-admin.key</code> after{' '}
            <code>npm start</code>. The key is kept in this browser tab only.
          </Text>
          <PasswordInput
            label="API key"
            value={apiKey}
            onChange={(e) => setApiKey(e.currentTarget.value)}
            error={error}
            autoComplete="current-password"
            required
            data-autofocus
          />
          <Button type="submit" variant={oidc ? 'default' : 'filled'} loading={busy}>
            Sign in
          </Button>
        </Stack>
      </Paper>
    </Center>
  );
}
