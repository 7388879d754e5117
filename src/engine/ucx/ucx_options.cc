// The UCX transport's entry in the registry: its flags and capabilities. The QoS flags it
// honours (--traffic-class, ...) are declared once, with verbs' entry (engine/rdma_qos.h).
#include "engine/ucx/ucx_options.h"

#include "engine/transport_descriptor.h"

namespace te::engine::ucx {
namespace {

// A WRITE counted before its data reached the target cannot be checked there.
Status integrityConflict(const TransportConfig& c) {
  if (c.options<UcxOptions>().remote_write_completion) return Status::ok();
  return invalidArgument("--ucx-write-completion local: a WRITE counted before its data reached the target "
                         "cannot be verified there; use --ucx-write-completion remote");
}

// The UCX_IB_* QoS settings the user made, which UCX reads itself and te_bench keeps.
void finish(TransportConfig& c, const LauncherEnv& env) {
  for (const auto& [name, value] : env.qos) {
    if (name.rfind("UCX_IB_", 0) == 0) c.options<UcxOptions>().ib_env[name] = value;
  }
}

}  // namespace

const TransportDescriptor& descriptor() {
  static const TransportDescriptor kDescriptor{
      .options = OptionList<UcxOptions>()
                     .size("--ucx-max-inflight", &UcxOptions::max_inflight_bytes, "max_inflight",
                           "ucx: bytes in flight per worker (default 64M)")
                     .size("--ucx-fragment-size", &UcxOptions::fragment_size, "fragment_size",
                           "ucx: large requests are split into pieces of this size (default 1M)")
                     .choice("--ucx-alloc", &UcxOptions::allocate, "allocate",
                             "ucx: DRAM buffers from ucp_mem_map ALLOCATE, which shared memory can map (on), or "
                             "bench memory (off)",
                             "on", "off")
                     .choice("--ucx-write-completion", &UcxOptions::remote_write_completion, "write_completion",
                             "ucx: a WRITE is done when its data reached the target (remote) or when UCX no longer "
                             "needs the source buffer (local, as ucx_perftest counts)",
                             "remote", "local")
                     .echoAsText()
                     .done(),
      .capabilities = {.one_sided = true, .dram = true, .vram = false, .max_request_size = 0},
      .finish = finish,
      .integrity_conflict = integrityConflict,
  };
  return kDescriptor;
}

}  // namespace te::engine::ucx
