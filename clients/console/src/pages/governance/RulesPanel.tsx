import { useState } from 'react';
import { Checkbox, Select, Stack, Table, TextInput, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { v4 as uuid } from 'uuid';
import { governance } from '../../api/transport';
import { InlineMutationForm } from '../../components/InlineMutationForm';
import { RowRemoveButton } from '../../components/RowRemoveButton';
import { QueryState } from '../../components/QueryState';
import { RuleEffect } from '../../gen/aos/v1/governance_pb';
import { useSession } from '../../session/session.context';
import { PrincipalSelect } from './PrincipalSelect';
import { useSubjectName } from './principals.query';
import { useMutationForm } from '../../components/use-mutation-form';

function AddRuleForm() {
  const queryClient = useQueryClient();
  const [subject, setSubject] = useState<string | null>(null);
  const [action, setAction] = useState('');
  const [resource, setResource] = useState('*');
  const [effect, setEffect] = useState<'ALLOW' | 'DENY'>('ALLOW');
  const [requiresApproval, setRequiresApproval] = useState(false);
  const form = useMutationForm();

  async function add() {
    if (!subject) {
      form.setError('Pick who the rule is about (rule.subject).');
      return;
    }
    const added = await form.run(() =>
      governance.addPolicyRule({
        rule: {
          subject,
          action: action.trim(),
          resource: resource.trim(),
          effect: RuleEffect[effect],
          requiresApproval,
        },
        requestId: uuid(),
      }),
    );
    if (added) {
      setAction('');
      await queryClient.invalidateQueries({ queryKey: ['policyRules'] });
    }
  }

  return (
    <InlineMutationForm label="Add a rule" submitLabel="Add rule" form={form} onSubmit={add}>
      <PrincipalSelect label="Who" valueIs="subject" value={subject} onChange={setSubject} />
      <TextInput
        label="Action"
        description="A permission, e.g. tools.call"
        value={action}
        onChange={(e) => setAction(e.currentTarget.value)}
        w={180}
      />
      <TextInput
        label="Resource"
        description="e.g. tools/weather, kb/*"
        value={resource}
        onChange={(e) => setResource(e.currentTarget.value)}
        w={180}
      />
      <Select
        label="Effect"
        data={['ALLOW', 'DENY']}
        value={effect}
        onChange={(v) => setEffect((v as 'ALLOW' | 'DENY') ?? 'ALLOW')}
        allowDeselect={false}
        w={110}
      />
      <Checkbox
        label="Needs approval"
        checked={requiresApproval}
        onChange={(e) => setRequiresApproval(e.currentTarget.checked)}
        mb={8}
      />
    </InlineMutationForm>
  );
}

/** Policy rules: extra allows, denies (which win) and actions that need a person's approval. */
export function RulesPanel() {
  const { can } = useSession();
  const subjectName = useSubjectName();
  const rules = useQuery({ queryKey: ['policyRules'], queryFn: () => governance.listPolicyRules({}) });

  return (
    <Stack>
      <Title order={2} size="h3">
        Rules
      </Title>
      {can('policies.add') && can('principals.list') && <AddRuleForm />}
      <QueryState query={rules} what="rules" />
      {rules.data && (
        <Table.ScrollContainer minWidth={0} type="native">
          <Table striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Who</Table.Th>
                <Table.Th>Action</Table.Th>
                <Table.Th>Resource</Table.Th>
                <Table.Th>Effect</Table.Th>
                {can('policies.remove') && <Table.Th>Actions</Table.Th>}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rules.data.rules.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td>{subjectName(r.subject)}</Table.Td>
                  <Table.Td>{r.action}</Table.Td>
                  <Table.Td>{r.resource}</Table.Td>
                  <Table.Td>
                    {RuleEffect[r.effect]}
                    {r.requiresApproval ? ', needs approval' : ''}
                  </Table.Td>
                  {can('policies.remove') && (
                    <Table.Td>
                      <RowRemoveButton
                        label="Remove"
                        title={`Remove the rule ${r.action} on ${r.resource}?`}
                        send={() => governance.removePolicyRule({ id: r.id, requestId: uuid() })}
                        refresh={[['policyRules']]}
                      >
                        It stops applying at once.
                      </RowRemoveButton>
                    </Table.Td>
                  )}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Stack>
  );
}
