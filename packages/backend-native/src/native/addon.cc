// @hrnet/backend-native: oneDNN primitives working in place on the tfjs wasm heap.
//
// Every entry point takes the wasm heap (an ArrayBuffer, re-read by the caller after its last
// allocation) and a Float64Array of parameters (shapes, attributes and byte offsets into the heap).
// Offsets and sizes are checked against the heap's current length: a bad offset or a stale (detached)
// heap throws a RangeError and touches nothing. A combination oneDNN cannot run returns false so the
// JS side falls back to the stock kernel; any other failure throws an Error.
//
// Primitives are cached by geometry and thread count in a process-wide map behind a mutex (the addon
// may be loaded by several worker_threads at once); streams and scratch buffers are per thread.

#define NAPI_VERSION 8
#include <node_api.h>

#include "common.h"

namespace hn {

#define NAPI_OK(call)                                          \
  do {                                                         \
    if ((call) != napi_ok) Err("N-API call failed: " #call);  \
  } while (0)

Heap GetHeap(napi_env env, napi_value v) {
  bool is_ab = false;
  NAPI_OK(napi_is_arraybuffer(env, v, &is_ab));
  if (is_ab) {
    void* data = nullptr;
    size_t len = 0;
    NAPI_OK(napi_get_arraybuffer_info(env, v, &data, &len));
    return {static_cast<uint8_t*>(data), data ? len : 0};
  }
  bool is_ta = false;
  NAPI_OK(napi_is_typedarray(env, v, &is_ta));
  if (is_ta) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    napi_value ab;
    size_t off = 0;
    NAPI_OK(napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &off));
    if (type != napi_uint8_array) TypeErr("heap must be an ArrayBuffer or a Uint8Array");
    return {static_cast<uint8_t*>(data), data ? length : 0};
  }
  TypeErr("heap must be an ArrayBuffer or a Uint8Array");
}

Params GetParams(napi_env env, napi_value v) {
  bool is_ta = false;
  NAPI_OK(napi_is_typedarray(env, v, &is_ta));
  if (!is_ta) TypeErr("params must be a Float64Array");
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value ab;
  size_t off = 0;
  NAPI_OK(napi_get_typedarray_info(env, v, &type, &length, &data, &ab, &off));
  if (type != napi_float64_array) TypeErr("params must be a Float64Array");
  return {static_cast<const double*>(data), length};
}

// ---------------------------------------------------------------------------------------------
// N-API glue

using OpFn = bool (*)(const Heap&, const Params&);

template <typename F>
napi_value Guard(napi_env env, F&& body) {
  try {
    return body();
  } catch (const JsError& e) {
    switch (e.kind) {
      case JsError::kRange:
        napi_throw_range_error(env, "ERR_HRNET_NATIVE_RANGE", e.msg.c_str());
        break;
      case JsError::kType:
        napi_throw_type_error(env, "ERR_HRNET_NATIVE_TYPE", e.msg.c_str());
        break;
      default:
        napi_throw_error(env, "ERR_HRNET_NATIVE", e.msg.c_str());
    }
  } catch (const dnnl::error& e) {
    napi_throw_error(env, "ERR_HRNET_NATIVE_ONEDNN", (std::string("oneDNN: ") + e.what()).c_str());
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, "ERR_HRNET_NATIVE_OOM", "out of memory");
  } catch (const std::exception& e) {
    napi_throw_error(env, "ERR_HRNET_NATIVE", e.what());
  }
  return nullptr;
}

napi_value Bool(napi_env env, bool v) {
  napi_value r;
  NAPI_OK(napi_get_boolean(env, v, &r));
  return r;
}

napi_value Num(napi_env env, double v) {
  napi_value r;
  NAPI_OK(napi_create_double(env, v, &r));
  return r;
}

template <OpFn op>
napi_value OpEntry(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() -> napi_value {
    size_t argc = 2;
    napi_value argv[2];
    NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
    if (argc < 2) TypeErr("expected (heap, params)");
    const Heap heap = GetHeap(env, argv[0]);
    const Params params = GetParams(env, argv[1]);
    return Bool(env, op(heap, params));
  });
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  return Guard(env, [&]() -> napi_value {
    size_t argc = 1;
    napi_value argv[1];
    NAPI_OK(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
    double n = 0;
    if (argc < 1 || napi_get_value_double(env, argv[0], &n) != napi_ok || !(n >= 0 && n <= 1024) || n != std::floor(n)) {
      RangeErr("setThreads: expected an integer in [0, 1024]");
    }
    g_threads.store(static_cast<int>(n));
    return Num(env, ApplyThreads());
  });
}

napi_value SetProp(napi_env env, napi_value obj, const char* name, napi_value v) {
  NAPI_OK(napi_set_named_property(env, obj, name, v));
  return obj;
}

napi_value Info(napi_env env, napi_callback_info) {
  return Guard(env, [&]() -> napi_value {
    napi_value obj;
    NAPI_OK(napi_create_object(env, &obj));
    const dnnl_version_t* v = dnnl_version();
    const std::string ver = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
    napi_value s;
    NAPI_OK(napi_create_string_utf8(env, ver.c_str(), ver.size(), &s));
    SetProp(env, obj, "onednn", s);
    SetProp(env, obj, "threads", Num(env, ApplyThreads()));
    SetProp(env, obj, "isa", Num(env, static_cast<double>(dnnl_get_effective_cpu_isa())));
    size_t size;
    uint64_t hits, misses;
    GetCache().Stats(&size, &hits, &misses);
    SetProp(env, obj, "cacheSize", Num(env, static_cast<double>(size)));
    SetProp(env, obj, "cacheHits", Num(env, static_cast<double>(hits)));
    SetProp(env, obj, "cacheMisses", Num(env, static_cast<double>(misses)));
    return obj;
  });
}

napi_value ClearCache(napi_env env, napi_callback_info) {
  return Guard(env, [&]() -> napi_value {
    GetCache().Clear();
    napi_value u;
    NAPI_OK(napi_get_undefined(env, &u));
    return u;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"conv", nullptr, OpEntry<Conv>, nullptr, nullptr, nullptr, static_cast<napi_property_attributes>(napi_writable | napi_enumerable | napi_configurable), nullptr},
      {"matmul", nullptr, OpEntry<MatMul>, nullptr, nullptr, nullptr, static_cast<napi_property_attributes>(napi_writable | napi_enumerable | napi_configurable), nullptr},
      {"binary", nullptr, OpEntry<Binary>, nullptr, nullptr, nullptr, static_cast<napi_property_attributes>(napi_writable | napi_enumerable | napi_configurable), nullptr},
      {"reduce", nullptr, OpEntry<Reduce>, nullptr, nullptr, nullptr, static_cast<napi_property_attributes>(napi_writable | napi_enumerable | napi_configurable), nullptr},
      {"batchNorm", nullptr, OpEntry<BatchNorm>, nullptr, nullptr, nullptr, static_cast<napi_property_attributes>(napi_writable | napi_enumerable | napi_configurable), nullptr},
      {"bnGradReduce", nullptr, OpEntry<BnGradReduce>, nullptr, nullptr, nullptr, static_cast<napi_property_attributes>(napi_writable | napi_enumerable | napi_configurable), nullptr},
      {"broadcastDiv", nullptr, OpEntry<BroadcastDiv>, nullptr, nullptr, nullptr, static_cast<napi_property_attributes>(napi_writable | napi_enumerable | napi_configurable), nullptr},
      {"reluGrad", nullptr, OpEntry<ReluGrad>, nullptr, nullptr, nullptr, static_cast<napi_property_attributes>(napi_writable | napi_enumerable | napi_configurable), nullptr},
      {"bnTrain", nullptr, OpEntry<BnTrain>, nullptr, nullptr, nullptr, static_cast<napi_property_attributes>(napi_writable | napi_enumerable | napi_configurable), nullptr},
      {"bnTrainGrad", nullptr, OpEntry<BnTrainGrad>, nullptr, nullptr, nullptr, static_cast<napi_property_attributes>(napi_writable | napi_enumerable | napi_configurable), nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, static_cast<napi_property_attributes>(napi_writable | napi_enumerable | napi_configurable), nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, static_cast<napi_property_attributes>(napi_writable | napi_enumerable | napi_configurable), nullptr},
      {"clearCache", nullptr, ClearCache, nullptr, nullptr, nullptr, static_cast<napi_property_attributes>(napi_writable | napi_enumerable | napi_configurable), nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace hn

NAPI_MODULE_INIT() { return hn::Init(env, exports); }
