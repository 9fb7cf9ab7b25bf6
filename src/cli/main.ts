#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=100
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { accountsCommand } from './accounts.js';
import { identitiesCommand } from './identities.js';
import { migrateCommand } from './migrate.js';
import { reportsCommand } from './reports.js';
import { aggregateCommand, runsCommand, syncCommand } from './runs.js';
import { serveCommand } from './serve.js';
import { simCommand } from './sim.js';
import { sourcesCommand, testConnectionCommand } from './sources.js';
import { tokenCommand, userCommand } from './users.js';
import { destinationsCommand } from './destinations.js';
import { reviewsCommand } from './reviews.js';

const program = new Command('duo-insights')
  .description('Identity governance and activity insights for Duo Security')
  .version(VERSION);

program.addCommand(migrateCommand());
program.addCommand(identitiesCommand());
program.addCommand(sourcesCommand());
program.addCommand(accountsCommand());
program.addCommand(testConnectionCommand());
program.addCommand(aggregateCommand());
program.addCommand(syncCommand());
program.addCommand(runsCommand());
program.addCommand(reportsCommand());
program.addCommand(simCommand());
program.addCommand(serveCommand());
program.addCommand(userCommand());
program.addCommand(tokenCommand());
program.addCommand(destinationsCommand());
program.addCommand(reviewsCommand());

await program.parseAsync(process.argv);
