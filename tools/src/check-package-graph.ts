/** `npm run check:graph -w @hrnet/tools`: prints every violation of the package graph, exit code 1 if any. */
import { checkPackageGraph, readWorkspace, REPO_ROOT } from './package-graph.js';

const problems = checkPackageGraph(readWorkspace(REPO_ROOT));
for (const p of problems) console.error(p);
if (problems.length === 0) console.log('package graph: downward only');
process.exitCode = problems.length === 0 ? 0 : 1;
