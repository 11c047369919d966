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
  /**
   * The request as the gateway's gRPC decoding hands it to the service (camelCase fields, enums as names, int64 as
   * numbers, Timestamps as {seconds, nanos}, a FieldMask as its snake_case paths), without request_id.
   */
  request: Record<string, unknown>;
  inputs: ResolvedInput[];
  /** One line with names beside ids: "Deploy agent billing-helper (09d75c1d…)". */
  preview: string;
}

/**
 * A question of a resolution. `unknownName` marks the ones about a name the
 * tenant does not have, so that a caller (the model interpreter) can tell a
 * proposal that names what is not there from a question for the person,
 * without reading the wording.
 */
export interface ResolutionQuestion extends DraftQuestion {
  unknownName?: { kind: string; name: string };
}

/** A draft resolved against a tenant's directory: the steps, and what could not be settled. */
export interface Resolution {
  steps: ResolvedStep[];
  questions: ResolutionQuestion[];
  notes: string[];
}
