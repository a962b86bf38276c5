// Convolutions: Conv2D, FusedConv2D, DepthwiseConv2dNative and their gradients, in place on the heap.
#include "common.h"

namespace hn {

// ---------------------------------------------------------------------------------------------
// Convolution (Conv2D, FusedConv2D, DepthwiseConv2dNative and their gradients)

struct ConvGeom {
  int64_t mode, n, c, h, w, co, ho, wo, kh, kw, g, sh, sw, dh, dw, pt, pb, pl, pr, nchw, act;
  float alpha;
  double off_src, off_wei, off_bias, off_dst;

  dims SrcDims() const { return {n, c, h, w}; }
  dims DstDims() const { return {n, co, ho, wo}; }
  // The tfjs filter: [kh, kw, c, co] (HWIO) or, depthwise, [kh, kw, c, co / c].
  memory::desc UserWeights() const {
    if (g == 1) return memory::desc({co, c, kh, kw}, dt::f32, dims{1, co, kw * c * co, c * co});
    const int64_t mult = co / g;
    return memory::desc({g, mult, 1, kh, kw}, dt::f32, dims{mult, 1, 1, kw * co, co});
  }
  memory::desc AnyWeights() const {
    if (g == 1) return memory::desc({co, c, kh, kw}, dt::f32, tag::any);
    return memory::desc({g, co / g, 1, kh, kw}, dt::f32, tag::any);
  }
  memory::desc Act(const dims& d) const { return memory::desc(d, dt::f32, nchw ? tag::nchw : tag::nhwc); }
};

ConvGeom ParseConv(const Params& p) {
  ConvGeom q;
  q.mode = p.i(kConvMode, 0, 2);
  q.n = p.i(kConvN, 1, kMaxDim);
  q.c = p.i(kConvC, 1, kMaxDim);
  q.h = p.i(kConvH, 1, kMaxDim);
  q.w = p.i(kConvW, 1, kMaxDim);
  q.co = p.i(kConvCo, 1, kMaxDim);
  q.ho = p.i(kConvHo, 1, kMaxDim);
  q.wo = p.i(kConvWo, 1, kMaxDim);
  q.kh = p.i(kConvKh, 1, kMaxDim);
  q.kw = p.i(kConvKw, 1, kMaxDim);
  q.g = p.i(kConvGroups, 1, kMaxDim);
  q.sh = p.i(kConvSh, 1, kMaxDim);
  q.sw = p.i(kConvSw, 1, kMaxDim);
  q.dh = p.i(kConvDh, 1, kMaxDim);
  q.dw = p.i(kConvDw, 1, kMaxDim);
  q.pt = p.i(kConvPt, 0, kMaxDim);
  q.pb = p.i(kConvPb, 0, kMaxDim);
  q.pl = p.i(kConvPl, 0, kMaxDim);
  q.pr = p.i(kConvPr, 0, kMaxDim);
  q.nchw = p.i(kConvNchw, 0, 1);
  q.act = p.i(kConvAct, 0, kActLast);
  q.alpha = p.f(kConvAlpha);
  q.off_src = p.raw(kConvSrc);
  q.off_wei = p.raw(kConvWei);
  q.off_bias = p.raw(kConvBias);
  q.off_dst = p.raw(kConvDst);
  if (q.g != 1 && !(q.g == q.c && q.co % q.g == 0)) RangeErr("groups must be 1 or the input channels (depthwise)");
  // oneDNN derives the output size as floor((in + pads - extent) / stride) + 1. tf's rounding modes can
  // ask for one more row or column than the padding covers (the cpu backend reads zeros there), or for
  // fewer than the padding allows: the trailing padding becomes exactly what the last output reads.
  const int64_t ekh = (q.kh - 1) * q.dh + 1;
  const int64_t ekw = (q.kw - 1) * q.dw + 1;
  // Rounding up adds at most stride - 1 rows beyond the given padding; more means inconsistent sizes.
  const int64_t pb = std::max<int64_t>(0, (q.ho - 1) * q.sh + ekh - q.h - q.pt);
  const int64_t pr = std::max<int64_t>(0, (q.wo - 1) * q.sw + ekw - q.w - q.pl);
  if (pb > q.pb + q.sh - 1 || pr > q.pr + q.sw - 1) RangeErr("conv: the output size does not follow from input, filter, strides and padding");
  q.pb = pb;
  q.pr = pr;
  if (q.h + q.pt + q.pb < ekh || q.w + q.pl + q.pr < ekw || (q.h + q.pt + q.pb - ekh) / q.sh + 1 != q.ho ||
      (q.w + q.pl + q.pr - ekw) / q.sw + 1 != q.wo) {
    RangeErr("conv: the output size does not follow from input, filter, strides and leading padding");
  }
  return q;
}

std::shared_ptr<Entry> ConvEntry(const ConvGeom& q, int threads, bool has_bias) {
  const std::string key = Key({1, q.mode, q.n, q.c, q.h, q.w, q.co, q.ho, q.wo, q.kh, q.kw, q.g, q.sh, q.sw, q.dh, q.dw, q.pt, q.pb, q.pl, q.pr,
                               q.nchw, q.act, static_cast<int64_t>(q.alpha * 1e6f), has_bias, threads});
  if (auto e = GetCache().Find(key)) return e;
  auto e = std::make_shared<Entry>();
  const dims strides = {q.sh, q.sw};
  const dims dil = {q.dh - 1, q.dw - 1};
  const dims pl = {q.pt, q.pl};
  const dims pr = {q.pb, q.pr};
  const memory::desc src = q.Act(q.SrcDims());
  const memory::desc dst = q.Act(q.DstDims());
  const memory::desc wany = q.AnyWeights();
  const memory::desc user_w = q.UserWeights();
  const algorithm alg = algorithm::convolution_direct;
  if (q.mode == kConvForward) {
    const memory::desc bias = has_bias ? memory::desc({q.co}, dt::f32, tag::a) : memory::desc();
    dnnl::convolution_forward::desc d(prop_kind::forward_inference, alg, src, wany, bias, dst, strides, dil, pl, pr);
    dnnl::convolution_forward::primitive_desc pd(d, Attr(static_cast<int>(q.act), q.alpha), Engine());
    e->prim = dnnl::convolution_forward(pd);
    e->scratch_bytes = pd.scratchpad_desc().get_size();
    e->wei_md = pd.weights_desc();
  } else {
    primitive_attr attr = Attr(kActLinear, 0.f);
    dnnl::convolution_forward::desc fd(prop_kind::forward_training, alg, src, wany, dst, strides, dil, pl, pr);
    dnnl::convolution_forward::primitive_desc hint(fd, Engine());
    if (q.mode == kConvBackwardData) {
      dnnl::convolution_backward_data::desc d(alg, src, wany, dst, strides, dil, pl, pr);
      dnnl::convolution_backward_data::primitive_desc pd(d, attr, Engine(), hint);
      e->prim = dnnl::convolution_backward_data(pd);
      e->scratch_bytes = pd.scratchpad_desc().get_size();
      e->wei_md = pd.weights_desc();
    } else {
      dnnl::convolution_backward_weights::desc d(alg, src, wany, dst, strides, dil, pl, pr);
      dnnl::convolution_backward_weights::primitive_desc pd(d, attr, Engine(), hint);
      e->prim = dnnl::convolution_backward_weights(pd);
      e->scratch_bytes = pd.scratchpad_desc().get_size();
      e->wei_md = pd.diff_weights_desc();
    }
  }
  e->wei_reorder = e->wei_md != user_w;
  if (e->wei_reorder) {
    if (q.mode == kConvBackwardWeights) {
      e->reorder = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), e->wei_md, Engine(), user_w));
    } else {
      e->reorder = dnnl::reorder(dnnl::reorder::primitive_desc(Engine(), user_w, Engine(), e->wei_md));
    }
  }
  GetCache().Put(key, e);
  return e;
}

// conv(heap, params): see kernels.h for the parameter layout. Returns true, or false when oneDNN has
// no implementation for this combination.
// ---------------------------------------------------------------------------------------------
// Filter gradient of wide convolutions as one GEMM: dW [kh*kw*C, Co] = cols^T [kh*kw*C, P] x dy [P, Co]
// with cols = im2col(x) (P = N*Ho*Wo rows, taps then channels, zeros for padding). The product's layout
// is tfjs's HWIO filter, so it is written straight to the heap. For the wide stride-2 3x3 layers of HRNet's
// heads (C >= 256) oneDNN's direct backward-weights kernel reached about half the GEMM's rate.

inline bool UseGemmFilterGrad(const ConvGeom& q) {
  return q.mode == kConvBackwardWeights && q.g == 1 && !q.nchw && q.dh == 1 && q.dw == 1 && q.c >= 256 && q.kh * q.kw > 1;
}

inline thread_local Buffer t_cols;

void Im2col(const ConvGeom& q, const float* x, float* cols) {
  const int64_t k = q.kh * q.kw * q.c;
  const int64_t rows = q.n * q.ho * q.wo;
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; r++) {
    const int64_t n = r / (q.ho * q.wo);
    const int64_t oy = (r / q.wo) % q.ho;
    const int64_t ox = r % q.wo;
    float* row = cols + r * k;
    for (int64_t a = 0; a < q.kh; a++) {
      const int64_t iy = oy * q.sh + a - q.pt;
      for (int64_t b = 0; b < q.kw; b++) {
        const int64_t ix = ox * q.sw + b - q.pl;
        float* dst = row + (a * q.kw + b) * q.c;
        if (iy < 0 || iy >= q.h || ix < 0 || ix >= q.w) {
          std::memset(dst, 0, sizeof(float) * q.c);
        } else {
          std::memcpy(dst, x + ((n * q.h + iy) * q.w + ix) * q.c, sizeof(float) * q.c);
        }
      }
    }
  }
}

bool GemmFilterGrad(const ConvGeom& q, const float* x, const float* dy, float* dw, int threads) {
  const int64_t k = q.kh * q.kw * q.c;
  const int64_t rows = q.n * q.ho * q.wo;
  const memory::desc a_md({k, rows}, dt::f32, dims{1, k});
  const memory::desc b_md({rows, q.co}, dt::f32, dims{q.co, 1});
  const memory::desc c_md({k, q.co}, dt::f32, dims{q.co, 1});
  const std::string key = Key({3, k, rows, q.co, threads});
  std::shared_ptr<Entry> e = GetCache().Find(key);
  if (!e) {
    e = std::make_shared<Entry>();
    primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, b_md, c_md), attr, Engine());
    e->prim = dnnl::matmul(pd);
    e->scratch_bytes = pd.scratchpad_desc().get_size();
    GetCache().Put(key, e);
  }
  float* cols = static_cast<float*>(t_cols.Get(static_cast<size_t>(rows * k) * sizeof(float)));
  Im2col(q, x, cols);
  const engine& eng = Engine();
  std::unordered_map<int, memory> args = {
      {DNNL_ARG_SRC, memory(a_md, eng, cols)}, {DNNL_ARG_WEIGHTS, memory(b_md, eng, const_cast<float*>(dy))}, {DNNL_ARG_DST, memory(c_md, eng, dw)}};
  Execute(*e, args);
  return true;
}

bool Conv(const Heap& heap, const Params& p) {
  const ConvGeom q = ParseConv(p);
  const int64_t src_n = Prod({q.n, q.c, q.h, q.w});
  const int64_t dst_n = Prod({q.n, q.co, q.ho, q.wo});
  const int64_t wei_n = Prod({q.kh, q.kw, q.c / q.g, q.co});
  const bool has_bias = q.mode == kConvForward && q.off_bias >= 0;
  // Resolve (and bounds-check) every pointer before any work.
  float* src = F32(heap, q.off_src, src_n, q.mode == kConvBackwardData ? "dx" : "x");
  float* wei = F32(heap, q.off_wei, wei_n, q.mode == kConvBackwardWeights ? "dW" : "filter");
  float* dst = F32(heap, q.off_dst, dst_n, q.mode == kConvForward ? "y" : "dy");
  float* bias = has_bias ? F32(heap, q.off_bias, q.co, "bias") : nullptr;

  const int threads = ApplyThreads();
  if (UseGemmFilterGrad(q)) return GemmFilterGrad(q, src, dst, wei, threads);
  std::shared_ptr<Entry> e;
  try {
    e = ConvEntry(q, threads, has_bias);
  } catch (const dnnl::error& err) {
    if (err.status == dnnl_unimplemented) return false;
    throw;
  }
  const engine& eng = Engine();
  stream& s = Stream();
  memory src_m(q.Act(q.SrcDims()), eng, src);
  memory dst_m(q.Act(q.DstDims()), eng, dst);
  memory user_w(q.UserWeights(), eng, wei);
  memory prim_w = user_w;
  if (e->wei_reorder) prim_w = memory(e->wei_md, eng, t_weights.Get(e->wei_md.get_size()));
  std::unordered_map<int, memory> args;
  switch (q.mode) {
    case kConvForward:
      if (e->wei_reorder) e->reorder.execute(s, user_w, prim_w);
      args = {{DNNL_ARG_SRC, src_m}, {DNNL_ARG_WEIGHTS, prim_w}, {DNNL_ARG_DST, dst_m}};
      if (has_bias) args.insert({DNNL_ARG_BIAS, memory(memory::desc({q.co}, dt::f32, tag::a), eng, bias)});
      Execute(*e, args);
      break;
    case kConvBackwardData:
      if (e->wei_reorder) e->reorder.execute(s, user_w, prim_w);
      args = {{DNNL_ARG_DIFF_SRC, src_m}, {DNNL_ARG_WEIGHTS, prim_w}, {DNNL_ARG_DIFF_DST, dst_m}};
      Execute(*e, args);
      break;
    default:
      args = {{DNNL_ARG_SRC, src_m}, {DNNL_ARG_DIFF_WEIGHTS, prim_w}, {DNNL_ARG_DIFF_DST, dst_m}};
      Execute(*e, args);
      if (e->wei_reorder) {
        e->reorder.execute(s, prim_w, user_w);
        s.wait();
      }
      break;
  }
  return true;
}

}  // namespace hn
