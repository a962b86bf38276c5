// @hrnet/collective-mpi: the few OpenMPI calls @hrnet/train's MPI collective needs, on Float32Arrays.
//
// Every collective is a nonblocking MPI call (MPI_Iallreduce / MPI_Ibcast / MPI_Ibarrier) polled with
// MPI_Test until it completes or a deadline passes, so a rank that never arrives gives a catchable
// timeout instead of a hang. Sums use MPI_SUM on MPI_FLOAT; OpenMPI's reduction gives the same bits on
// every rank. Errors come back as return codes (MPI_ERRORS_RETURN) and are thrown as JS Errors.

#define NAPI_VERSION 8
#include <node_api.h>
#include <mpi.h>

#include <chrono>
#include <string>
#include <thread>

namespace {

void Throw(napi_env env, const std::string& msg) { napi_throw_error(env, nullptr, msg.c_str()); }

std::string MpiError(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  return std::string(text, len);
}

napi_value Int(napi_env env, int v) {
  napi_value out;
  napi_create_int32(env, v, &out);
  return out;
}

// init() -> { rank, size, threadLevel, version }: MPI_Init_thread once (a second call just reports).
napi_value Init(napi_env env, napi_callback_info) {
  int inited = 0;
  MPI_Initialized(&inited);
  int provided = 0;
  if (!inited) {
    int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    if (rc != MPI_SUCCESS) {
      Throw(env, "MPI_Init_thread failed: " + MpiError(rc));
      return nullptr;
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  } else {
    MPI_Query_thread(&provided);
  }
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int vlen = 0;
  MPI_Get_library_version(version, &vlen);
  napi_value out, v;
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "rank", Int(env, rank));
  napi_set_named_property(env, out, "size", Int(env, size));
  napi_set_named_property(env, out, "threadLevel", Int(env, provided));
  napi_create_string_utf8(env, version, vlen > 0 ? vlen - 1 : 0, &v);
  napi_set_named_property(env, out, "version", v);
  return out;
}

// Polls `req` until done or `timeoutMs` (<= 0: no deadline). Returns MPI_SUCCESS, an MPI error, or -1 on timeout.
int Wait(MPI_Request* req, double timeoutMs) {
  auto start = std::chrono::steady_clock::now();
  int spins = 0;
  for (;;) {
    int done = 0;
    int rc = MPI_Test(req, &done, MPI_STATUS_IGNORE);
    if (rc != MPI_SUCCESS) return rc;
    if (done) return MPI_SUCCESS;
    // Spin briefly (latency), then sleep in short slices so a waiting rank leaves the core to the others.
    if (++spins > 1000) std::this_thread::yield();
    if (timeoutMs > 0 && (spins & 63) == 0) {
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (ms > timeoutMs) return -1;
    }
  }
}

bool GetF32(napi_env env, napi_value v, float** data, size_t* length) {
  bool is_ta = false;
  napi_is_typedarray(env, v, &is_ta);
  if (is_ta) {
    napi_typedarray_type type;
    napi_value ab;
    size_t off = 0;
    void* raw = nullptr;
    napi_get_typedarray_info(env, v, &type, length, &raw, &ab, &off);
    if (type == napi_float32_array) {
      *data = static_cast<float*>(raw);
      return true;
    }
  }
  Throw(env, "expected a Float32Array");
  return false;
}

bool Finish(napi_env env, int rc, const char* what, double timeoutMs) {
  if (rc == MPI_SUCCESS) return true;
  if (rc == -1) {
    napi_value err, msg, code;
    std::string text = std::string(what) + " timed out after " + std::to_string(static_cast<long long>(timeoutMs / 1000)) + " s";
    napi_create_string_utf8(env, text.c_str(), text.size(), &msg);
    napi_create_string_utf8(env, "ETIMEDOUT", 9, &code);
    napi_create_error(env, code, msg, &err);
    napi_throw(env, err);
    return false;
  }
  Throw(env, std::string(what) + " failed: " + MpiError(rc));
  return false;
}

// Starts a nonblocking collective with `start` and waits for it (see Wait); throws on error or timeout.
template <typename Start>
void Run(napi_env env, const char* what, double timeoutMs, Start start) {
  MPI_Request req;
  int rc = start(&req);
  if (rc == MPI_SUCCESS) rc = Wait(&req, timeoutMs);
  Finish(env, rc, what, timeoutMs);
}

// allReduceSum(x: Float32Array, timeoutMs): x = sum over ranks, in place. Without a deadline, the blocking
// MPI_Allreduce (no polling).
napi_value AllReduceSum(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float* data = nullptr;
  size_t n = 0;
  if (!GetF32(env, argv[0], &data, &n)) return nullptr;
  double timeoutMs = 0;
  napi_get_value_double(env, argv[1], &timeoutMs);
  const int count = static_cast<int>(n);
  if (timeoutMs <= 0) {
    Finish(env, MPI_Allreduce(MPI_IN_PLACE, data, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD), "MPI all-reduce", 0);
    return nullptr;
  }
  Run(env, "MPI all-reduce", timeoutMs, [&](MPI_Request* r) { return MPI_Iallreduce(MPI_IN_PLACE, data, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, r); });
  return nullptr;
}

// broadcast(x: Float32Array, root, timeoutMs): every rank's x = root's x, in place.
napi_value Broadcast(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  float* data = nullptr;
  size_t n = 0;
  if (!GetF32(env, argv[0], &data, &n)) return nullptr;
  int root = 0;
  double timeoutMs = 0;
  napi_get_value_int32(env, argv[1], &root);
  napi_get_value_double(env, argv[2], &timeoutMs);
  Run(env, "MPI broadcast", timeoutMs, [&](MPI_Request* r) { return MPI_Ibcast(data, static_cast<int>(n), MPI_FLOAT, root, MPI_COMM_WORLD, r); });
  return nullptr;
}

// barrier(timeoutMs)
napi_value Barrier(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  double timeoutMs = 0;
  napi_get_value_double(env, argv[0], &timeoutMs);
  Run(env, "MPI barrier", timeoutMs, [](MPI_Request* r) { return MPI_Ibarrier(MPI_COMM_WORLD, r); });
  return nullptr;
}

// abort(code): ends every rank of the job (MPI_Abort); does not return.
napi_value Abort(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int code = 1;
  napi_get_value_int32(env, argv[0], &code);
  MPI_Abort(MPI_COMM_WORLD, code);
  return nullptr;
}

// finalize(): MPI_Finalize once (after the last collective of a run that ended normally).
napi_value Finalize(napi_env env, napi_callback_info) {
  int inited = 0, finalized = 0;
  MPI_Initialized(&inited);
  MPI_Finalized(&finalized);
  if (inited && !finalized) MPI_Finalize();
  return nullptr;
}

napi_value Register(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"init", nullptr, Init, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"allReduceSum", nullptr, AllReduceSum, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"broadcast", nullptr, Broadcast, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"barrier", nullptr, Barrier, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"abort", nullptr, Abort, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"finalize", nullptr, Finalize, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Register)
