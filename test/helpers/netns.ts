// The lab lives in src so `halo demo` can build the same topology the e2e tests use.
export * from '../../src/io/net/netnsLab.js';
