import type { FormEvent, ReactNode } from 'react';
import { Button, Group, type ButtonProps, type GroupProps } from '@mantine/core';
import { MutationError } from './MutationError';

/**
 * A one-line form that sends one change: its fields, a submit button busy while
 * the change is in flight, and the refusal in words below. `onSubmit` runs with
 * the browser's own submission already prevented.
 */
export function InlineMutationForm({
  label,
  submitLabel,
  form,
  onSubmit,
  align = 'flex-end',
  submitProps,
  children,
}: {
  label: string;
  submitLabel: string;
  form: { busy: boolean; error: string | null };
  onSubmit: () => unknown;
  align?: GroupProps['align'];
  submitProps?: ButtonProps;
  children: ReactNode;
}) {
  function submit(event: FormEvent) {
    event.preventDefault();
    void onSubmit();
  }
  return (
    <form onSubmit={submit} noValidate aria-label={label}>
      <Group align={align}>
        {children}
        <Button type="submit" loading={form.busy} {...submitProps}>
          {submitLabel}
        </Button>
      </Group>
      <MutationError error={form.error} />
    </form>
  );
}
