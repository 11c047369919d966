import type { Command } from 'commander';
import { EXIT_NOT_ALLOWED, type ActionRunner, type CliContext } from '../cli-context';
import { accessCheckSubjects, renderAccessCheck } from '../output/authorization.view';
import { addMinPositionOption, examples, type MinPositionFlags } from './command-options';
import { parseSubject, SUBJECT_HELP } from './governance-parsers';
import { nameRefsOf } from './name-ref';

interface CheckFlags extends MinPositionFlags {
  action: string;
  resource?: string;
  subject?: string;
}

/** Exits 0 when allowed and EXIT_NOT_ALLOWED otherwise, so scripts can branch on the answer. */
async function checkAccess(ctx: CliContext, flags: CheckFlags): Promise<number> {
  const client = await ctx.connect();
  const names = await nameRefsOf(ctx);
  const request = {
    subject: flags.subject ? await names.subjectOf(flags.subject) : '',
    action: flags.action,
    resource: flags.resource ?? '',
    minPosition: flags.minPosition ?? 0,
  };
  const check = await client.governance.checkAccess(request, { signal: ctx.signal });
  if (ctx.json) ctx.writeJson(check);
  else ctx.write(renderAccessCheck(check, request, await names.subjectLabels(accessCheckSubjects(check))));
  return check.allowed ? 0 : EXIT_NOT_ALLOWED;
}

export function registerAccessCommand(program: Command, runner: ActionRunner): void {
  const access = program.command('access').description('ask the access model what it would decide, and why');

  const check = access
    .command('check')
    .description(
      'would a subject (default: you) be allowed an action on a resource? With the binding or rule that decided',
    )
    .requiredOption('--action <permission>', 'a permission, e.g. agents.pause or tools.call')
    .option('--resource <resource>', 'a resource <kind>/<id>, e.g. tools/weather (default *)')
    .option('--subject <subject>', `whom to check: ${SUBJECT_HELP} (default: the caller)`, parseSubject)
    .addHelpText(
      'after',
      examples(
        'aos access check --action agents.pause',
        'aos access check --subject agent:billing-helper --action tools.call --resource tools/payments',
        'aos access check --subject alice --action audit.replay --json',
      ) +
        '\nPrints the decision (ALLOWED, DENIED, APPROVAL_REQUIRED or BUDGET_EXHAUSTED) and the explanation.\n' +
        'Exit status: 0 allowed, 3 not allowed (any other decision), 1 the call failed, 2 usage error.\n',
    );
  addMinPositionOption(check).action(runner.wrap(checkAccess));
}
