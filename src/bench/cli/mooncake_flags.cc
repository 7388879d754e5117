#include "bench/cli/mooncake_flags.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "bench/cli/config.h"
#include "bench/cli/config_flags.h"
#include "common/shown_value.h"
#include "engine/transport_registry.h"

namespace te::bench {
namespace {

// One gflag of transfer_engine_bench (classic) or transfer_engine_bench_v1, and the te_bench
// flag it becomes ("" where it has no te_bench flag). `allowed` says what a value may be where
// te_bench's flag does not say it the same way.
struct MooncakeFlag {
  const char* names;  // CLI11 names: the gflag, and for a switch its --noNAME
  const char* te_flag;
  bool takes_value;
  const char* allowed;
};

const std::vector<MooncakeFlag>& flagTable() {
  static const std::vector<MooncakeFlag> kTable = {
      // transfer_engine_bench (--operation, --duration, --threads and --mode are te_bench's too)
      {"--protocol", "--transport", true, "rdma (te_bench --transport verbs) or tcp (--transport tcp)"},
      {"--device_name", "--devices", true, "RDMA device names, comma separated, e.g. mlx5_0,mlx5_1"},
      {"--nic_priority_matrix", "--nic-priority-matrix", true, "a Mooncake NIC priority matrix (a JSON file)"},
      {"--block_size", "--block-size", true, ""},
      {"--batch_size", "--batch-size", true, ""},
      {"--buffer_size", "--buffer-size", true, ""},
      {"--report_unit", "--report-unit", true, "GB, GiB, Gb (te_bench --report-unit has no M or K units)"},
      {"--report_precision", "--report-precision", true, ""},
      {"--use_vram,!--nouse_vram", "--memory", false, ""},
      {"--gpu_id", "--gpu-id", true, "a GPU ordinal 0..1023, or -1 / auto (te_bench: one GPU per local rank)"},
      {"--metadata_server", "--bootstrap", true,
       "etcd HOST:PORT or etcd://HOST:PORT[,HOST:PORT], redis://HOST:PORT, or P2PHANDSHAKE (no server)"},
      {"--auto_discovery,--auto-discovery,!--noauto_discovery", "", false, ""},
      {"--local_server_name", "", true, "a segment name (not needed: te_bench measures every pair)"},
      {"--segment_id", "", true, "a segment name (not needed: te_bench measures every pair)"},
      {"--backend", "", true, "classic, tent (te_bench has one engine of its own)"},
      {"--init_mem,!--noinit_mem", "", false, ""},
      // transfer_engine_bench_v1 (--size is te_bench's too: see declareMooncakeFlags)
      {"--workload", "--operation", true, "read, write, mix"},
      {"--integrity_check,!--nointegrity_check", "--integrity-check", false, ""},
      {"--check,!--nocheck", "--integrity-check", false, ""},
      {"--batch", "--batch-size", true, ""},
      {"--metadata_type", "--bootstrap", true, "p2p (no server), etcd or redis (with --metadata_servers)"},
      {"--metadata_servers", "--bootstrap", true, "HOST:PORT[,HOST:PORT] of the --metadata_type server"},
      {"--use_dram,!--nouse_dram", "--memory", false, ""},
      {"--shmfs,!--noshmfs", "", false, ""},
      {"--mnnvl,!--nomnnvl", "", false, ""},
      {"--slice_size", "--slice-size", true, ""},
      {"--cluster_topology", "", true, "a Mooncake cluster topology file (te_bench reads Slurm's: --topology)"},
      {"--remote_segment", "", true, "a segment name (not needed: te_bench measures every pair)"},
      {"--local_segment", "", true, "a segment name (not needed: te_bench measures every pair)"},
      {"--shm_path", "", true, "a shared-memory name (te_bench's buffers are its own)"},
  };
  return kTable;
}

// v1's own flags: where one is on the line, --size is v1's request size, not te_bench's ranks.
constexpr const char* kV1Only[] = {"--workload", "--batch", "--metadata_type", "--metadata_servers", "--remote_segment",
                                   "--local_segment", "--integrity_check", "--check", "--shmfs", "--use_dram",
                                   "--slice_size", "--cluster_topology", "--mnnvl"};

// One-sided flags: te_bench measures every pair, each rank both initiator and target.
constexpr const char* kOneSided[] = {"--segment_id", "--remote_segment", "--local_segment", "--local_server_name"};

std::string firstName(const std::string& names) { return names.substr(0, names.find(',')); }

const MooncakeFlag* findFlag(const std::string& name) {
  for (const MooncakeFlag& f : flagTable()) {
    if (firstName(f.names) == name) return &f;
  }
  return nullptr;
}

// What the user gave, and what the run will be told.
class Mapping {
 public:
  // A switch counts as given when it was on the line; its value is its last word.
  Mapping(CLI::App& app, const MooncakeFlags& m) : app_(app), given_(m.given) {
    for (const auto& [name, on] : m.switches) {
      if (app.count(name) > 0) given_[name] = on ? "true" : "false";
    }
  }

  bool given(const std::string& flag) const { return given_.count(flag) > 0; }
  std::string value(const std::string& flag) const { return given(flag) ? given_.at(flag) : ""; }
  bool on(const std::string& flag) const { return value(flag) == "true"; }

  // Gives te_bench's `to` this value as if it had been written last: that flag's own callback
  // parses it. A refusal is said with the Mooncake flag the value came from.
  Status forward(const std::string& from, const std::string& to, const std::string& to_value) {
    CLI::Option* opt = app_.get_option_no_throw(to);
    if (!opt) return invalidArgument(flagValue(from, value(from)) + ": not allowed: this te_bench has no " + to);
    try {
      opt->add_result(to_value);
      opt->run_callback();
    } catch (const CLI::Error& e) {
      std::string why = e.what();
      why = why.substr(0, why.find('\n'));
      if (why.find(": ") != std::string::npos) why = why.substr(why.find(": ") + 2);
      return invalidArgument(flagValue(from, value(from)) + ": " + why + " (te_bench's " + to + ")");
    }
    return Status::ok();
  }
  Status forward(const std::string& from, const std::string& to) { return forward(from, to, value(from)); }

  // te_bench's --mode / --size values that were Mooncake's: as if they had not been given.
  void takeBack(const char* flag, int mooncake_values) {
    CLI::Option* opt = app_.get_option_no_throw(flag);
    if (opt && mooncake_values > 0 && static_cast<size_t>(mooncake_values) >= opt->count()) opt->clear();
  }

  std::vector<std::string> one_sided, no_effect;

 private:
  CLI::App& app_;
  std::map<std::string, std::string> given_;
};

Status refused(const std::string& flag, const std::string& text, const std::string& why = "") {
  return invalidArgument(flagValue(flag, text) + ": " + (why.empty() ? "" : why + "; ") + "allowed " +
                         mooncakeAllowedValues(flag));
}

// Empty values, and the words only Mooncake's flags take, refused before anything is mapped.
Status checkValues(const Mapping& m) {
  for (const MooncakeFlag& f : flagTable()) {
    const std::string name = firstName(f.names);
    if (f.takes_value && m.given(name) && m.value(name).empty()) return refused(name, "");
  }
  auto oneOf = [&m](const char* flag, std::initializer_list<const char*> words) {
    if (!m.given(flag)) return Status::ok();
    for (const char* w : words) {
      if (m.value(flag) == w) return Status::ok();
    }
    return refused(flag, m.value(flag));
  };
  TE_RETURN_IF_ERROR(oneOf("--workload", {"read", "write", "mix"}));
  TE_RETURN_IF_ERROR(oneOf("--backend", {"classic", "tent"}));
  TE_RETURN_IF_ERROR(oneOf("--report_unit", {"GB", "GiB", "Gb"}));
  if (m.given("--protocol") && m.value("--protocol") != "rdma" && m.value("--protocol") != "tcp") {
    return refused("--protocol", m.value("--protocol"), "te_bench has no " + shownValue(m.value("--protocol")) + " transport");
  }
  const std::string gpu = m.value("--gpu_id");
  const bool ordinal = !gpu.empty() && gpu.size() <= 4 && gpu.find_first_not_of("0123456789") == std::string::npos &&
                       std::stoi(gpu) <= 1023;
  if (m.given("--gpu_id") && !ordinal && gpu != "-1" && gpu != "auto") return refused("--gpu_id", gpu);
  for (const char* flag : {"--block_size", "--buffer_size", "--slice_size"}) {
    if (!m.given(flag)) continue;
    Result<std::vector<uint64_t>> sizes = parseBlockSizes(m.value(flag));
    const bool one = sizes.isOk() && sizes->size() == 1 && sizes->front() > 0;
    if (!one && !(std::string(flag) == "--block_size" && sizes.isOk())) return refused(flag, m.value(flag));
  }
  return Status::ok();
}

// --protocol, --device_name, --nic_priority_matrix, --auto_discovery.
Status mapTransport(Mapping& m) {
  const std::string protocol = m.value("--protocol");
  if (!protocol.empty()) TE_RETURN_IF_ERROR(m.forward("--protocol", "--transport", protocol == "rdma" ? "verbs" : "tcp"));
  for (const char* flag : {"--device_name", "--nic_priority_matrix"}) {
    if (!m.given(flag)) continue;
    if (protocol == "tcp") {
      m.no_effect.push_back(std::string(flag) + " (--protocol tcp uses no RDMA device)");
    } else if (m.on("--auto_discovery")) {
      m.no_effect.push_back(std::string(flag) + " (--auto_discovery: every active RDMA device)");
    } else {
      TE_RETURN_IF_ERROR(m.forward(flag, findFlag(flag)->te_flag));
    }
  }
  if (m.on("--auto_discovery")) {
    m.no_effect.push_back("--auto_discovery (te_bench uses every active RDMA device unless --devices names some)");
  }
  return Status::ok();
}

// Sizes, counts and the report's unit: te_bench's flags under other names.
Status mapSizes(Mapping& m, const MooncakeFlags& flags) {
  for (const char* flag : {"--block_size", "--batch_size", "--batch", "--buffer_size", "--report_unit",
                           "--report_precision", "--workload"}) {
    if (m.given(flag)) TE_RETURN_IF_ERROR(m.forward(flag, findFlag(flag)->te_flag));
  }
  if (flags.size_values > 0) {
    Result<std::vector<uint64_t>> sizes = parseBlockSizes(flags.v1_size);
    if (!sizes.isOk() || sizes->size() != 1 || sizes->front() == 0) {
      return invalidArgument(flagValue("--size", flags.v1_size) + ": allowed " + allowedValues("--buffer-size") +
                             " (transfer_engine_bench_v1's request size, te_bench's --block-size)");
    }
    TE_RETURN_IF_ERROR(m.forward("--size", "--block-size", flags.v1_size));
  }
  if (m.given("--slice_size")) {
    if (!engine::findTransportOption("--slice-size")) {
      m.no_effect.push_back("--slice_size (no verbs transport in this te_bench)");
    } else {
      TE_RETURN_IF_ERROR(m.forward("--slice_size", "--slice-size"));
    }
  }
  if (m.given("--gpu_id")) {
    const std::string gpu = m.value("--gpu_id");
    TE_RETURN_IF_ERROR(m.forward("--gpu_id", "--gpu-id", gpu == "-1" ? "auto" : gpu));
  }
  return Status::ok();
}

// --use_vram, --use_dram, --shmfs, --mnnvl, --init_mem, --integrity_check.
Status mapMemory(Mapping& m, BenchConfig* c) {
  if (m.on("--use_vram") && m.on("--use_dram")) {
    return invalidArgument("--use_dram with --use_vram: not allowed: te_bench measures one memory per side; allowed "
                           "--memory dram, --memory vram, or --initiator-memory / --target-memory for one of each");
  }
  if (m.on("--use_vram")) TE_RETURN_IF_ERROR(m.forward("--use_vram", "--memory", "vram"));
  if (m.given("--use_dram") && !m.on("--use_dram") && !m.on("--use_vram")) {
    return invalidArgument("--use_dram false: allowed true (DRAM, te_bench's default), or --use_vram / --memory vram");
  }
  if (m.on("--shmfs")) {
    return invalidArgument("--shmfs: not supported: te_bench's buffers are its own private memory; allowed --memory "
                           "dram (with --huge-pages) or --memory vram");
  }
  if (m.on("--mnnvl")) {
    return invalidArgument("--mnnvl: not supported: te_bench has no multi-node NVLink transport; allowed --transport " +
                           engine::builtinTransportNames());
  }
  if (m.given("--init_mem")) m.no_effect.push_back("--init_mem (te_bench fills its buffers itself)");
  if (m.on("--integrity_check") || m.on("--check")) c->integrity_check = true;
  return Status::ok();
}

// --metadata_server, or v1's --metadata_type with --metadata_servers: te_bench's --bootstrap
// when a server is named; without one the launcher's MPI is the bootstrap, as always.
Status mapBootstrap(Mapping& m) {
  const bool v1 = m.given("--metadata_type") || m.given("--metadata_servers");
  if (m.given("--metadata_server") && v1) {
    return invalidArgument(flagValue("--metadata_server", m.value("--metadata_server")) +
                           " with --metadata_type / --metadata_servers: not allowed: give one of them (te_bench's "
                           "--bootstrap)");
  }
  Result<std::string> spec = v1 ? bootstrapForMetadataType(m.value("--metadata_type"), m.value("--metadata_servers"))
                                 : bootstrapForMetadataServer(m.value("--metadata_server"));
  if (!spec.isOk()) return spec.status();
  const char* from = v1 ? (m.given("--metadata_servers") ? "--metadata_servers" : "--metadata_type") : "--metadata_server";
  if (!spec->empty()) return m.forward(from, "--bootstrap", *spec);
  if (m.given("--metadata_servers")) m.no_effect.push_back("--metadata_servers (--metadata_type p2p needs no server)");
  return Status::ok();
}

// --mode target|initiator and the flags that name one side of a pair; the rest that has no
// meaning in te_bench.
Status mapSides(Mapping& m, const MooncakeFlags& flags) {
  if (flags.mode == "target") {
    return invalidArgument("--mode target: not needed: te_bench has no target-only process; every rank that mpirun / "
                           "srun starts is initiator and target of its pairs (run the initiator's line on every host, "
                           "--pairs I:T for one pair)");
  }
  if (flags.mode == "initiator") m.one_sided.push_back("--mode initiator");
  for (const char* flag : kOneSided) {
    if (m.given(flag)) m.one_sided.push_back(flag);
  }
  if (m.given("--backend")) m.no_effect.push_back("--backend (te_bench has one engine of its own)");
  if (m.given("--cluster_topology")) {
    m.no_effect.push_back("--cluster_topology (te_bench reads a Slurm topology.conf: --topology)");
  }
  if (m.given("--shm_path")) m.no_effect.push_back("--shm_path (te_bench's buffers are its own)");
  return Status::ok();
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

void declareMooncakeFlags(CLI::App& app, MooncakeFlags* m) {
  for (const MooncakeFlag& f : flagTable()) {
    const std::string name = firstName(f.names);
    const std::string help = *f.te_flag ? std::string("as ") + f.te_flag : "accepted (one-sided, or no effect)";
    CLI::Option* opt =
        f.takes_value
            ? app.add_option_function<std::string>(f.names, [m, name](const std::string& v) { m->given[name] = v; }, help)
            : app.add_flag(f.names, m->switches[name], help);
    opt->group("Mooncake transfer_engine_bench(_v1) flags, mapped onto te_bench's (docs/FROM_MOONCAKE.md)");
  }
  // --mode target|initiator is Mooncake's; te_bench's --mode takes exact|quick.
  if (CLI::Option* mode = app.get_option_no_throw("--mode")) {
    mode->transform([m](std::string v) {
      if (v != "target" && v != "initiator") return v;
      m->mode = v;
      ++m->mode_values;
      return std::string("exact");
    });
  }
  // On a v1 line --size is the request size; elsewhere, or with --rank / --job-id (ranks
  // started by hand over etcd / redis), te_bench's rank count.
  if (CLI::Option* size = app.get_option_no_throw("--size")) {
    CLI::App* a = &app;
    size->transform([m, a](std::string v) {
      bool v1 = false;
      for (const char* flag : kV1Only) v1 = v1 || a->count(flag) > 0;
      if (!v1 || a->count("--rank") > 0 || a->count("--job-id") > 0) return v;
      m->v1_size = v;
      ++m->size_values;
      return std::string("1");
    });
  }
}

Status finishMooncakeFlags(CLI::App& app, const MooncakeFlags& flags, BenchConfig* c) {
  Mapping m(app, flags);
  m.takeBack("--mode", flags.mode_values);
  m.takeBack("--size", flags.size_values);
  if (flags.size_values > 0) c->bootstrap.size.reset();
  TE_RETURN_IF_ERROR(checkValues(m));
  TE_RETURN_IF_ERROR(mapSides(m, flags));
  TE_RETURN_IF_ERROR(mapTransport(m));
  TE_RETURN_IF_ERROR(mapSizes(m, flags));
  TE_RETURN_IF_ERROR(mapMemory(m, c));
  TE_RETURN_IF_ERROR(mapBootstrap(m));
  if (!m.one_sided.empty()) {
    c->notices.push_back(joined(m.one_sided) + ": not needed: te_bench measures every pair of the ranks mpirun / "
                         "srun started, each rank initiator and target (--pairs I:T measures one pair)");
  }
  if (!m.no_effect.empty()) c->notices.push_back("no effect: " + joined(m.no_effect));
  std::string env = ignoredMooncakeVariables(c->env.mc_variables);
  if (!env.empty()) c->notices.push_back(env);
  return Status::ok();
}

std::string mooncakeAllowedValues(const std::string& flag) {
  const MooncakeFlag* f = findFlag(flag);
  if (!f) return "";
  if (*f->allowed) return f->allowed;
  if (!f->takes_value) return "no value (a switch), or =true / =false";
  if (const NumberRange* range = numberRange(f->te_flag)) return allowedText(*range);
  return allowedValues(f->te_flag);
}

void printNotices(const BenchConfig& c) {
  const bool speaks = c.bootstrap.rank ? *c.bootstrap.rank == 0 : printsUsageErrors(c.env);
  if (!speaks) return;
  for (const std::string& n : c.notices) std::cerr << "te_bench: note: " << n << std::endl;
}

}  // namespace te::bench
