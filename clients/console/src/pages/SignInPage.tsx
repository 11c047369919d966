import { useState, type FormEvent } from 'react';
import { Button, Center, Paper, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { governance } from '../api/transport';
import { errorWords } from '../api/error-words';
import { useSession } from '../session/session.context';

export function SignInPage() {
  const { signIn } = useSession();
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

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
      signIn(key, me);
    } catch (e) {
      setError(errorWords(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Center component="main" mih="100vh" p="md">
      <Paper component="form" onSubmit={submit} withBorder p="xl" w={420} maw="100%" noValidate>
        <Stack>
          <Title order={1} size="h2">
            Sign in to AgentOS
          </Title>
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
          <Button type="submit" loading={busy}>
            Sign in
          </Button>
        </Stack>
      </Paper>
    </Center>
  );
}
