import type { Provider, Type } from '@nestjs/common';

/** What one area of the resources service (tools, knowledge, context) adds to its root module. */
export interface ResourcePart {
  controllers: Type[];
  providers: Provider[];
}
