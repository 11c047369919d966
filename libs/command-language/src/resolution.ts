import type { DraftQuestion } from './draft';

/** A field of a step's request filled from an earlier step's reply when it runs (command.proto StepInput). */
export interface ResolvedInput {
  field: string;
  fromStep: number;
  fromField: string;
}

/** One call of the public API, names resolved to ids. */
export interface ResolvedStep {
  service: string;
  method: string;
  /** The request as proto3 JSON (camelCase field names, enums as names), without request_id. */
  request: Record<string, unknown>;
  inputs: ResolvedInput[];
  /** One line with names beside ids: "Deploy agent billing-helper (09d75c1d…)". */
  preview: string;
}

/** A draft resolved against a tenant's directory: the steps, and what could not be settled. */
export interface Resolution {
  steps: ResolvedStep[];
  questions: DraftQuestion[];
  notes: string[];
}
