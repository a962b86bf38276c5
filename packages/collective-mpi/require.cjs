// This package is ESM only: require() gets this one line instead of an ERR_REQUIRE_ESM stack.
throw new Error("@hrnet/collective-mpi is an ES module package: use import (from CommonJS: await import('@hrnet/collective-mpi')); require() is not supported");
