import type { Command } from 'commander';
import type { ListApprovalsRequest } from '@aos/contracts';
import type { ActionRunner, CliContext } from '../cli-context';
import { approvalSubjects, renderApproval, renderApprovalTable } from '../output/approval.view';
import {
  addMinPositionOption,
  addPageOptions,
  addRequestIdOption,
  examples,
  requestIdOf,
  type MinPositionFlags,
  type PageFlags,
  type RequestIdFlags,
} from './command-options';
import { APPROVAL_STATES, parseApprovalState } from './governance-parsers';
import { nameRefsOf } from './name-ref';
import { printPagedList } from './pagination';

interface ListFlags extends PageFlags, MinPositionFlags {
  state?: string;
}

async function listApprovals(ctx: CliContext, flags: ListFlags): Promise<void> {
  const client = await ctx.connect();
  const names = await nameRefsOf(ctx);
  const state = (flags.state ?? 'APPROVAL_STATE_UNSPECIFIED') as ListApprovalsRequest['state'];
  await printPagedList(ctx, flags, {
    fetchPage: (pageToken: string) =>
      client.governance.listApprovals(
        { state, pageSize: flags.pageSize ?? 0, pageToken, minPosition: flags.minPosition ?? 0 },
        { signal: ctx.signal },
      ),
    field: 'approvals',
    itemsOf: (page) => page.approvals,
    render: async (approvals) => renderApprovalTable(approvals, await names.subjectLabels(approvalSubjects(approvals))),
    noun: 'approval',
  });
}

function decide(approve: boolean) {
  return async (ctx: CliContext, id: string, flags: RequestIdFlags & { reason?: string }): Promise<void> => {
    const client = await ctx.connect();
    const approval = await client.governance.decideApproval(
      { id, approve, reason: flags.reason ?? '', requestId: requestIdOf(flags) },
      { signal: ctx.signal },
    );
    if (ctx.json) ctx.writeJson(approval);
    else ctx.write(renderApproval(approval, await (await nameRefsOf(ctx)).subjectLabels(approvalSubjects([approval]))));
  };
}

export function registerApprovalsCommand(program: Command, runner: ActionRunner): void {
  const approvals = program
    .command('approvals')
    .description('actions waiting for a person: approve or reject them, recording who and why');

  const list = approvals
    .command('list')
    .description('list approvals, oldest first')
    .option('--state <state>', `only approvals in this state (${APPROVAL_STATES.join(', ')})`, parseApprovalState)
    .addHelpText('after', examples('aos approvals list --state pending', 'aos approvals list --all --json'));
  addMinPositionOption(addPageOptions(list, 'approvals')).action(runner.wrap(listApprovals));

  const approve = approvals
    .command('approve')
    .description('approve a pending request')
    .argument('<id>', 'approval id')
    .option('--reason <text>', 'why, recorded with the decision')
    .addHelpText('after', examples('aos approvals approve 9c2e… --reason "refund under 100 EUR, checked"'));
  addRequestIdOption(approve).action(runner.wrap(decide(true)));

  const reject = approvals
    .command('reject')
    .description('reject a pending request')
    .argument('<id>', 'approval id')
    .requiredOption('--reason <text>', 'why, recorded with the decision')
    .addHelpText('after', examples('aos approvals reject 9c2e… --reason "customer already refunded"'));
  addRequestIdOption(reject).action(runner.wrap(decide(false)));
}
