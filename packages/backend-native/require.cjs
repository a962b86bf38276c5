// This package is ESM only: require() gets this one line instead of an ERR_REQUIRE_ESM stack.
throw new Error("@hrnet/backend-native is an ES module package: use import (from CommonJS: await import('@hrnet/backend-native')); require() is not supported");
