import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { RuntimeSubjects, type DirectToolCallReply } from '@aos/contracts';
import { Receives, validateRequestContext, type ServiceRequest } from '@aos/messaging';
import { DirectToolCalls, type DirectToolCallBody } from './direct-tool-call.handler';

/** RuntimeSubjects.callTool (queue group runtime): a principal's governed, recorded call of a registered tool. */
@Controller()
export class DirectToolCallController {
  constructor(@Inject(DirectToolCalls) private readonly calls: DirectToolCalls) {}

  @Receives(RuntimeSubjects.callTool)
  call(@Payload() request: ServiceRequest<DirectToolCallBody>): Promise<DirectToolCallReply> {
    return this.calls.call(validateRequestContext(request?.ctx), request.body);
  }
}
