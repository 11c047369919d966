export {
  CapabilityRouter,
  type CapabilityRouterState,
  type CapabilityRouterOptions,
  type RoutableAgent,
  type RouteOptions,
  type RoutingCandidate,
  type RoutingDecision,
} from './capability-router';
export { plainBm25Baseline, accuracyOf, type Accuracy, type LabelledTask } from './plain-bm25';
export { STOP_WORDS, contentWords } from './text';
export { WordNetLexicon, wordNetLexicon, type Lexicon } from './lexicon';
