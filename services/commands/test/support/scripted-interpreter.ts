import type { Directory, DirectoryAgent, ResolvedStep } from '@aos/command-language';
import type { Interpretation, InterpretInput, TextInterpreter } from '../../src/interpret/text-interpreter';

/**
 * A TextInterpreter of a few fixed sentences, resolved against the directory
 * the service hands it, for tests of the service's recording and execution
 * (the grammar itself is the parser's, tested in @aos/command-language).
 * It is domain logic, not a stand-in for an outside service.
 */
export function scriptedInterpreter(): TextInterpreter & { calls: number } {
  const interpreter = {
    calls: 0,
    interpret(input: InterpretInput): Promise<Interpretation> {
      interpreter.calls += 1;
      return Promise.resolve({ interpreter: 'PARSER', resolution: resolve(input), fallbackReason: '' });
    },
  };
  return interpreter;
}

const short = (a: DirectoryAgent) => `${a.name} (${a.id.slice(0, 8)}…)`;

function resolve({ text, directory }: InterpretInput): Interpretation['resolution'] {
  const none = { steps: [], questions: [], notes: [] };
  let match = /^create an agent called ([\w-]+) that handles (\w+) and (\w+),? and deploy it$/.exec(text);
  if (match) {
    const [, name, a, b] = match;
    return {
      ...none,
      steps: [
        {
          service: 'AgentService',
          method: 'CreateAgent',
          request: { agent: { name, capabilities: [a, b] } },
          inputs: [],
          preview: `Create agent ${name} (capabilities ${a}, ${b})`,
        },
        {
          service: 'AgentService',
          method: 'DeployAgent',
          request: {},
          inputs: [{ field: 'id', fromStep: 0, fromField: 'id' }],
          preview: `Deploy agent ${name} (created by step 0)`,
        },
      ],
    };
  }
  if (text === 'retire all agents') {
    return { ...none, steps: live(directory).map((a) => transition('RetireAgent', 'Retire', a)) };
  }
  match = /^(pause|resume|retire) ([\w-]+)$/.exec(text);
  if (match) {
    const [, verb, name] = match;
    const agents = directory.agents().filter((a) => a.name === name);
    if (agents.length !== 1) {
      return { ...none, questions: [{ text: `No agent is called ${name} — which?`, options: [] }] };
    }
    const method = `${verb!.charAt(0).toUpperCase()}${verb!.slice(1)}Agent`;
    return { ...none, steps: [transition(method, verb!, agents[0]!)] };
  }
  match = /^who am i, (\d+) times$/.exec(text);
  if (match) {
    const step: ResolvedStep = {
      service: 'GovernanceService',
      method: 'WhoAmI',
      request: {},
      inputs: [],
      preview: 'Who am I',
    };
    return { ...none, steps: Array.from({ length: Number(match[1]) }, () => step) };
  }
  if (text === 'who am i') {
    return {
      ...none,
      steps: [{ service: 'GovernanceService', method: 'WhoAmI', request: {}, inputs: [], preview: 'Who am I' }],
    };
  }
  return { ...none, notes: [`not understood: ${text}`] };
}

const live = (directory: Directory) => directory.agents().filter((a) => a.state !== 'RETIRED');

function transition(method: string, verb: string, agent: DirectoryAgent): ResolvedStep {
  return {
    service: 'AgentService',
    method,
    request: { id: agent.id },
    inputs: [],
    preview: `${verb} agent ${short(agent)}`,
  };
}
