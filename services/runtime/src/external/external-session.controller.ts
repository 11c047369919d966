import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { RuntimeSubjects, type OpenSessionBody, type OpenSessionReply } from '@aos/contracts';
import { validateRequestContext, type ServiceRequest, Receives } from '@aos/messaging';
import { ExternalSessions } from './external-sessions';

/** The runtime's one NATS request: the gateway asks an instance (queue group runtime) to host an external agent's session. */
@Controller()
export class ExternalSessionController {
  constructor(@Inject(ExternalSessions) private readonly sessions: ExternalSessions) {}

  @Receives(RuntimeSubjects.openSession)
  open(@Payload() request: ServiceRequest<OpenSessionBody>): Promise<OpenSessionReply> {
    return this.sessions.open(validateRequestContext(request?.ctx), request?.body);
  }
}
