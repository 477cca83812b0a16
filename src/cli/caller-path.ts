import { resolve } from 'node:path';

/**
 * A file named on the command line, from the folder the command was typed in: npm runs scripts
 * in the project folder and says where it was called from in INIT_CWD (`npm run admin -- import
 * orgs.csv …` from ~/hr reads ~/hr/orgs.csv). DATABASE_URL stays relative to the project folder,
 * as for npm start.
 */
export const fromCaller = (path: string): string => resolve(process.env.INIT_CWD ?? process.cwd(), path);
