#!/usr/bin/env node
import { Command } from 'commander';
import { VERSION } from '../version.js';
import {
  aggregateCommand,
  identitiesCommand,
  migrateCommand,
  runsCommand,
  sourcesCommand,
  syncCommand,
  testConnectionCommand,
} from './commands.js';
import { reportsCommand } from './reports.js';
import { serveCommand } from './serve.js';
import { simCommand } from './sim.js';
import { tokenCommand, userCommand } from './users.js';

const program = new Command('duo-insights')
  .description('Identity governance and activity insights for Duo Security')
  .version(VERSION);

program.addCommand(migrateCommand());
program.addCommand(identitiesCommand());
program.addCommand(sourcesCommand());
program.addCommand(testConnectionCommand());
program.addCommand(aggregateCommand());
program.addCommand(syncCommand());
program.addCommand(runsCommand());
program.addCommand(reportsCommand());
program.addCommand(simCommand());
program.addCommand(serveCommand());
program.addCommand(userCommand());
program.addCommand(tokenCommand());

await program.parseAsync(process.argv);
