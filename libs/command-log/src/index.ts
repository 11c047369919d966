export { CommandLog, type CommandLogOptions, type CommandLogWaits, type LogFollower } from './command-log';
