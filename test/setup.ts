// tfjs prints a banner suggesting tfjs-node (which cannot be installed here) in every test file; drop just that.
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (args.some((a) => typeof a === 'string' && a.includes('install our node backend'))) return;
  warn(...args);
};
