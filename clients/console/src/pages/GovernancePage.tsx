import { Stack, Tabs, Text, Title } from '@mantine/core';
import { useSearchParams } from 'react-router';
import { useSession } from '../session/session.context';
import { ApiKeysPanel } from './governance/ApiKeysPanel';
import { BudgetsPanel } from './governance/BudgetsPanel';
import { PeoplePanel } from './governance/PeoplePanel';
import { RolesPanel } from './governance/RolesPanel';
import { RulesPanel } from './governance/RulesPanel';

const TABS = [
  { value: 'people', label: 'People', permission: 'principals.list', Panel: PeoplePanel },
  { value: 'keys', label: 'API keys', permission: 'keys.list', Panel: ApiKeysPanel },
  { value: 'roles', label: 'Roles', permission: 'roles.list', Panel: RolesPanel },
  { value: 'rules', label: 'Rules', permission: 'policies.list', Panel: RulesPanel },
  { value: 'budgets', label: 'Budgets', permission: 'budgets.get', Panel: BudgetsPanel },
] as const;

/** Who may do what: people, keys, roles, rules and budgets, each tab shown to those who may read it. */
export function GovernancePage() {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const tabs = TABS.filter((t) => can(t.permission));
  const current = tabs.find((t) => t.value === params.get('tab'))?.value ?? tabs[0]?.value;

  return (
    <Stack>
      <Title order={1}>Governance</Title>
      <Text size="sm">People, service accounts and their keys, roles, rules and budgets.</Text>
      {tabs.length === 0 && <Text>You may read none of the governance settings.</Text>}
      <Tabs value={current ?? null} onChange={(v) => v && setParams({ tab: v })} keepMounted={false}>
        <Tabs.List>
          {tabs.map((t) => (
            <Tabs.Tab key={t.value} value={t.value}>
              {t.label}
            </Tabs.Tab>
          ))}
        </Tabs.List>
        {tabs.map(({ value, Panel }) => (
          <Tabs.Panel key={value} value={value} pt="md">
            <Panel />
          </Tabs.Panel>
        ))}
      </Tabs>
    </Stack>
  );
}
