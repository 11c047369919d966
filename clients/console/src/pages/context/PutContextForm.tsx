import { useState } from 'react';
import { NumberInput, Textarea, TextInput } from '@mantine/core';
import { v4 as uuid } from 'uuid';
import { context } from '../../api/transport';
import { InlineMutationForm } from '../../components/InlineMutationForm';
import { useMutationForm } from '../../components/use-mutation-form';
import type { ContextEntry } from '../../gen/aos/v1/context_pb';

/** What the put form starts with: empty, or an entry as read, to change and write back. */
export interface ContextDraft {
  key: string;
  value: string;
  /** The version read, so a write over someone else's newer one is ABORTED; '' for a write whatever the version. */
  expectedVersion: number | '';
}

export const EMPTY_DRAFT: ContextDraft = { key: '', value: '', expectedVersion: '' };

/**
 * Puts a value under a key of the scope: a new version. The key, the JSON and
 * the expected version are checked by the service, whose refusal names the
 * field (key, value_json, expected_version).
 */
export function PutContextForm({
  scope,
  initial,
  onPut,
}: {
  scope: string;
  initial: ContextDraft;
  onPut: (entry: ContextEntry) => void;
}) {
  const [key, setKey] = useState(initial.key);
  const [value, setValue] = useState(initial.value);
  const [expected, setExpected] = useState<string | number>(initial.expectedVersion);
  const form = useMutationForm();

  async function put() {
    if (expected !== '' && !Number.isSafeInteger(Number(expected))) {
      form.setError('expected_version: a whole number, the version you read (0: the key must not exist yet).');
      return;
    }
    await form.run(async () => {
      const entry = await context.putContext({
        scope,
        key: key.trim(),
        valueJson: value,
        expectedVersion: expected === '' ? undefined : BigInt(expected),
        requestId: uuid(),
      });
      // The whole draft is done with: a key left behind would invite writing its next value by accident.
      setKey('');
      setValue('');
      setExpected('');
      onPut(entry);
    });
  }

  return (
    <InlineMutationForm label={`Put a value in ${scope}`} submitLabel="Put value" form={form} onSubmit={put}>
      <TextInput
        label="Key"
        description="Letters, digits, . _ : -"
        value={key}
        onChange={(e) => setKey(e.currentTarget.value)}
        maxLength={128}
        w={220}
      />
      <Textarea
        label="Value (JSON)"
        description='An object, array, string ("text"), number, true, false or null'
        value={value}
        onChange={(e) => setValue(e.currentTarget.value)}
        autosize
        minRows={1}
        maxRows={12}
        w={380}
        // "Change this value" opens the form on the value to change.
        autoFocus={initial.key !== ''}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
      />
      <NumberInput
        label="Expected version"
        description="Optional: the version you read"
        value={expected}
        onChange={setExpected}
        min={0}
        allowDecimal={false}
        allowNegative={false}
        w={170}
      />
    </InlineMutationForm>
  );
}
