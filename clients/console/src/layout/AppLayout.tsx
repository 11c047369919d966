import { Suspense } from 'react';
import { AppShell, Burger, Button, Group, NavLink, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { NavLink as RouterNavLink, Outlet, useLocation } from 'react-router';
import { LoadingIndicator } from '../components/LoadingIndicator';
import { PageErrorBoundary } from '../components/PageErrorBoundary';
import { useSession } from '../session/session.context';

const SECTIONS = [
  { to: '/', label: 'Overview', permission: 'self.whoami' },
  { to: '/agents', label: 'Agents', permission: 'agents.list' },
  { to: '/tasks', label: 'Tasks', permission: 'tasks.list' },
  { to: '/approvals', label: 'Approvals', permission: 'approvals.list' },
  { to: '/audit', label: 'Audit', permission: 'audit.list' },
  { to: '/knowledge', label: 'Knowledge', permission: 'knowledge.read' },
  { to: '/context', label: 'Context', permission: 'context.read' },
  { to: '/governance', label: 'Governance', permission: 'principals.list' },
  { to: '/commands', label: 'Command bar', permission: 'commands.interpret' },
] as const;

export function AppLayout() {
  const { whoAmI, can, signOut } = useSession();
  const [navOpen, { toggle, close }] = useDisclosure();
  const { pathname } = useLocation();
  const who = whoAmI?.principal?.name || whoAmI?.subject || '…';
  const signedInAs = `${who}${whoAmI?.roles.length ? ` (${whoAmI.roles.join(', ')})` : ''}`;

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !navOpen } }}
      padding="md"
    >
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={navOpen} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={2} size="h4">
              AgentOS
            </Title>
          </Group>
          <Group wrap="nowrap" gap="sm">
            {/* On a phone the command bar is in the menu and who is signed in heads it, so the header fits. */}
            {can('commands.interpret') && (
              <Button component={RouterNavLink} to="/commands" size="xs" visibleFrom="sm">
                Tell AgentOS what to do…
              </Button>
            )}
            <Text size="sm" aria-label="Signed in as" visibleFrom="sm">
              {signedInAs}
            </Text>
            <Button variant="default" size="xs" onClick={signOut}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Sections">
        <Stack gap={2}>
          <Text size="sm" hiddenFrom="sm" px="sm" pb="xs">
            Signed in as {signedInAs}
          </Text>
          {SECTIONS.filter((s) => can(s.permission)).map((s) => (
            <NavLink
              key={s.to}
              component={RouterNavLink}
              to={s.to}
              end={s.to === '/'}
              active={s.to === '/' ? pathname === '/' : pathname.startsWith(s.to)}
              label={s.label}
              variant="filled"
              onClick={close}
            />
          ))}
        </Stack>
      </AppShell.Navbar>
      {/* A page with something wider than a phone then scrolls sideways here, under a header and menu that stay put. */}
      <AppShell.Main style={{ overflowX: 'auto' }}>
        {/* While a page's code loads the shell stays, so the menu and header never blink; a page that fails says so here. */}
        <PageErrorBoundary key={pathname}>
          <Suspense fallback={<LoadingIndicator label="Loading the page" />}>
            <Outlet />
          </Suspense>
        </PageErrorBoundary>
      </AppShell.Main>
    </AppShell>
  );
}
