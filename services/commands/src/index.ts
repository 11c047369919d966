export { startCommands } from './bootstrap';
export type { CommandsService, StartCommandsOptions } from './bootstrap';
