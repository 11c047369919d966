import { Module, type DynamicModule } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditIndexProjection } from './audit-index.projection';
import { LogIntegrity } from './log-integrity';

/**
 * The audit service's root module. The index is built (and caught up) before
 * Nest starts, so it comes in as a value rather than being constructed by Nest.
 */
@Module({})
export class AuditModule {
  static register(index: AuditIndexProjection, integrity: LogIntegrity): DynamicModule {
    return {
      module: AuditModule,
      controllers: [AuditController],
      providers: [
        { provide: AuditIndexProjection, useValue: index },
        { provide: LogIntegrity, useValue: integrity },
      ],
    };
  }
}
