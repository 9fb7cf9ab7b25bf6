#!/usr/bin/env node
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { simCommand } from './sim.js';

const program = new Command('duo-insights')
  .description('Identity governance and activity insights for Duo Security')
  .version(VERSION);

program.addCommand(simCommand());

await program.parseAsync(process.argv);
