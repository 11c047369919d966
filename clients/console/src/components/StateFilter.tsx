import { Select } from '@mantine/core';
import type { usePageTokens } from './page-token-pager';

/** The "State" picker (or another enum's, by `label`) above a list; changing it starts the list again from its first page. */
export function StateFilter({
  states,
  value,
  onChange,
  pager,
  label = 'State',
  placeholder = 'Every state',
}: {
  states: string[];
  value: string | null;
  onChange: (state: string | null) => void;
  pager: ReturnType<typeof usePageTokens>;
  label?: string;
  placeholder?: string;
}) {
  return (
    <Select
      label={label}
      placeholder={placeholder}
      data={states}
      value={value}
      onChange={(v) => {
        onChange(v);
        pager.reset();
      }}
      clearable
      w={220}
    />
  );
}
