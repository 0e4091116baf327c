// extern "C" binding of one Verilated width of the lockstep wrapper txoe_tb_top (which
// holds txoe_top as `dut`). Compiled once per Verilated model with
//   TXOE_DATA_W     the DATA_W parameter (e.g. 64)
//   TXOE_MODEL      the Verilated class (--prefix, e.g. Vtxoe_w64)
//   TXOE_MODEL_H    its header, quoted (e.g. "Vtxoe_w64.h")
//   TXOE_FN_PREFIX  prefix of the exported functions (e.g. txoe_w64_, txoe_w64_vcd_)
//   TXOE_TRACE_VCD  defined for a model Verilated with --trace (VCD), else --trace-fst
//   TXOE_SYMS_H     optional: the model's __Syms header, quoted (ports accessed on the root)
// and exports <prefix>{new,trace_open,trace_close,cycle,replay,error,free}. Everything else has
// internal linkage, so several models link into one library.
//
// Time. Cycle c is c ns: the simulation time ($time in the RTL) is c ns while cycle c is
// applied, and a trace (resolution 1 ps) shows cycle c from c ns, so GTKWave's time axis
// reads in cycles (and matches the pcap timestamps, 1 ns per cycle).
//
// Clocking. Untraced, one cycle is: inputs applied with clk low, eval, outputs sampled,
// clk high, eval (the rising edge). Traced, the dump shows every signal of cycle c from its
// rising edge at c ns, the falling edge at c + 0.5 ns: inputs (and the model's expected
// values) applied with clk still high from the last edge, eval, outputs sampled, dump at
// c ns; clk low, eval, dump at c + 0.5 ns; clk high, eval (the edge that ends cycle c,
// shown at c + 1 ns by the next dump). Both leave clk high, so a trace may open at any
// cycle.

#include "hooks.h"
#include "shim.h"

#include TXOE_MODEL_H
#ifdef TXOE_SYMS_H
// The symbol table's header brings the root module's class: its port members are plain
// fields, where the model class holds references to them (one load less per port).
#include TXOE_SYMS_H
#endif
#include "verilated.h"
#ifdef TXOE_TRACE_VCD
#include "verilated_vcd_c.h"
#else
#include "verilated_fst_c.h"
#endif

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <type_traits>

#if !defined(TXOE_DATA_W) || !defined(TXOE_MODEL) || !defined(TXOE_FN_PREFIX)
#error "TXOE_DATA_W, TXOE_MODEL and TXOE_FN_PREFIX must be defined"
#endif

#define TXOE_CAT2(a, b) a##b
#define TXOE_CAT(a, b) TXOE_CAT2(a, b)
#define TXOE_FN(name) TXOE_CAT(TXOE_FN_PREFIX, name)

namespace {

constexpr unsigned kDataW = TXOE_DATA_W;
constexpr unsigned kStrbW = kDataW / 8;
static_assert(kDataW >= 8 && kDataW <= 512 && kDataW % 8 == 0, "DATA_W out of range");

using Model = TXOE_MODEL;
#ifdef TXOE_TRACE_VCD
using TraceFile = VerilatedVcdC;
constexpr const char* kTraceKind = "VCD";
#else
using TraceFile = VerilatedFstC;
constexpr const char* kTraceKind = "FST";
#endif

// Trace ticks per cycle at the trace resolution below.
constexpr uint64_t kTicks = 1000;
constexpr const char* kTraceResolution = "1ps";
// Simulation time units (the model's precision, 1 ps) per cycle.
constexpr uint64_t kSimPerCycle = 1000;

struct Instance {
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Model> top;
    std::unique_ptr<TraceFile> trace;
    // A model takes one trace in its life (Verilator binds it to the first trace file).
    bool traced = false;
    uint64_t cycle = 0;
    std::string error;
};

constexpr uint64_t low_mask(unsigned bits) {
    return bits >= 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
}

// A bus of `bits` bits from 64-bit words (Verilated as C/S/I/QData up to 64 bits, else
// VlWide<N> of 32-bit words). Bits above `bits` are cleared: Verilator expects them 0.
template <typename T>
inline void put_bus(T& port, const uint64_t* src, unsigned bits) {
    if constexpr (std::is_integral_v<T>) {
        port = static_cast<T>(src[0] & low_mask(bits));
    } else {
        constexpr size_t words = sizeof(port.m_storage) / sizeof(port.m_storage[0]);
        for (size_t i = 0; i < words; ++i) {
            port.m_storage[i] = static_cast<uint32_t>(src[i / 2] >> (32 * (i % 2)));
        }
        if (bits % 32) port.m_storage[words - 1] &= static_cast<uint32_t>(low_mask(bits % 32));
    }
}

// The reverse: all eight words of `dst` written, bits at and above `bits` zero.
template <typename T>
inline void get_bus(const T& port, uint64_t* dst, unsigned bits) {
    for (size_t i = 0; i < TXOE_MAX_DATA_WORDS; ++i) dst[i] = 0;
    if constexpr (std::is_integral_v<T>) {
        dst[0] = static_cast<uint64_t>(port) & low_mask(bits);
    } else {
        constexpr size_t words = sizeof(port.m_storage) / sizeof(port.m_storage[0]);
        static_assert(words <= 2 * TXOE_MAX_DATA_WORDS, "bus wider than 512 bits");
        for (size_t i = 0; i < words; ++i) {
            dst[i / 2] |= static_cast<uint64_t>(port.m_storage[i]) << (32 * (i % 2));
        }
        const unsigned full = bits / 64;
        if (full < TXOE_MAX_DATA_WORDS) {
            dst[full] &= low_mask(bits % 64);
            for (size_t i = full + 1; i < TXOE_MAX_DATA_WORDS; ++i) dst[i] = 0;
        }
    }
}

template <typename T>
inline uint64_t get_word(const T& port, unsigned bits) {
    static_assert(std::is_integral_v<T>, "strobe wider than 64 bits");
    return static_cast<uint64_t>(port) & low_mask(bits);
}

// The object holding the port members: the root module when its type is visible.
#ifdef TXOE_SYMS_H
inline auto& ports(Model* t) { return *t->rootp; }
#else
inline Model& ports(Model* t) { return *t; }
#endif

template <typename P>
void drive(P* t, const TxoeInputs* in) {
    t->rst = in->rst;
    t->s_axil_awvalid = in->s_axil_awvalid;
    t->s_axil_wvalid = in->s_axil_wvalid;
    t->s_axil_bready = in->s_axil_bready;
    t->s_axil_arvalid = in->s_axil_arvalid;
    t->s_axil_rready = in->s_axil_rready;
    t->s_axil_wstrb = in->s_axil_wstrb & 0xF;
    t->s_axil_awaddr = in->s_axil_awaddr & 0xFFFF;
    t->s_axil_wdata = in->s_axil_wdata;
    t->s_axil_araddr = in->s_axil_araddr & 0xFFFF;
    t->m_axi_awready = in->m_axi_awready;
    t->m_axi_wready = in->m_axi_wready;
    t->m_axi_bvalid = in->m_axi_bvalid;
    t->m_axi_arready = in->m_axi_arready;
    t->m_axi_rvalid = in->m_axi_rvalid;
    t->m_axi_rlast = in->m_axi_rlast;
    t->m_axi_bresp = in->m_axi_bresp & 3;
    t->m_axi_rresp = in->m_axi_rresp & 3;
    put_bus(t->m_axi_rdata, in->m_axi_rdata, kDataW);
    t->m_axis_tx_tready = in->m_axis_tx_tready;
}

template <typename P>
void sample(const P* t, TxoeOutputs* out) {
    out->s_axil_awready = t->s_axil_awready & 1;
    out->s_axil_wready = t->s_axil_wready & 1;
    out->s_axil_bvalid = t->s_axil_bvalid & 1;
    out->s_axil_arready = t->s_axil_arready & 1;
    out->s_axil_rvalid = t->s_axil_rvalid & 1;
    out->s_axil_bresp = t->s_axil_bresp & 3;
    out->s_axil_rresp = t->s_axil_rresp & 3;
    out->s_axil_rdata = t->s_axil_rdata;

    out->m_axi_awvalid = t->m_axi_awvalid & 1;
    out->m_axi_wvalid = t->m_axi_wvalid & 1;
    out->m_axi_wlast = t->m_axi_wlast & 1;
    out->m_axi_bready = t->m_axi_bready & 1;
    out->m_axi_awlen = t->m_axi_awlen;
    out->m_axi_awsize = t->m_axi_awsize & 7;
    out->m_axi_awburst = t->m_axi_awburst & 3;
    out->m_axi_awaddr = t->m_axi_awaddr;
    out->m_axi_wstrb = get_word(t->m_axi_wstrb, kStrbW);
    get_bus(t->m_axi_wdata, out->m_axi_wdata, kDataW);

    out->m_axi_arvalid = t->m_axi_arvalid & 1;
    out->m_axi_rready = t->m_axi_rready & 1;
    out->m_axi_arlen = t->m_axi_arlen;
    out->m_axi_arsize = t->m_axi_arsize & 7;
    out->m_axi_arburst = t->m_axi_arburst & 3;
    out->m_axi_araddr = t->m_axi_araddr;

    out->m_axis_tx_tvalid = t->m_axis_tx_tvalid & 1;
    out->m_axis_tx_tlast = t->m_axis_tx_tlast & 1;
    out->m_axis_tx_tkeep = get_word(t->m_axis_tx_tkeep, kStrbW);
    get_bus(t->m_axis_tx_tdata, out->m_axis_tx_tdata, kDataW);

    out->irq = t->irq & 1;
}

template <typename P>
void expect(P* t, const TxoeExpected* e) {
    const TxoeOutputs* o = &e->out;
    t->exp_s_axil_awready = o->s_axil_awready;
    t->exp_s_axil_wready = o->s_axil_wready;
    t->exp_s_axil_bvalid = o->s_axil_bvalid;
    t->exp_s_axil_bresp = o->s_axil_bresp & 3;
    t->exp_s_axil_arready = o->s_axil_arready;
    t->exp_s_axil_rvalid = o->s_axil_rvalid;
    t->exp_s_axil_rdata = o->s_axil_rdata;
    t->exp_s_axil_rresp = o->s_axil_rresp & 3;
    t->exp_m_axi_awvalid = o->m_axi_awvalid;
    t->exp_m_axi_awaddr = o->m_axi_awaddr;
    t->exp_m_axi_awlen = o->m_axi_awlen;
    t->exp_m_axi_awsize = o->m_axi_awsize & 7;
    t->exp_m_axi_awburst = o->m_axi_awburst & 3;
    t->exp_m_axi_wvalid = o->m_axi_wvalid;
    put_bus(t->exp_m_axi_wdata, o->m_axi_wdata, kDataW);
    put_bus(t->exp_m_axi_wstrb, &o->m_axi_wstrb, kStrbW);
    t->exp_m_axi_wlast = o->m_axi_wlast;
    t->exp_m_axi_bready = o->m_axi_bready;
    t->exp_m_axi_arvalid = o->m_axi_arvalid;
    t->exp_m_axi_araddr = o->m_axi_araddr;
    t->exp_m_axi_arlen = o->m_axi_arlen;
    t->exp_m_axi_arsize = o->m_axi_arsize & 7;
    t->exp_m_axi_arburst = o->m_axi_arburst & 3;
    t->exp_m_axi_rready = o->m_axi_rready;
    t->exp_m_axis_tx_tvalid = o->m_axis_tx_tvalid;
    put_bus(t->exp_m_axis_tx_tdata, o->m_axis_tx_tdata, kDataW);
    put_bus(t->exp_m_axis_tx_tkeep, &o->m_axis_tx_tkeep, kStrbW);
    t->exp_m_axis_tx_tlast = o->m_axis_tx_tlast;
    t->exp_irq = o->irq;
    t->exp_tx_state_i = e->tx_state & 0x7;
    t->exp_wr_state_i = e->wr_state & 0x7;
    t->exp_ipv4_id = e->ipv4_id;
    t->exp_ipv6_id = e->ipv6_id;
    t->exp_cplq_count = e->cplq_count & 0x3F;
}

void copy_error(const std::string& msg, char* err, size_t err_len) {
    if (!err || err_len == 0) return;
    const size_t n = msg.size() < err_len - 1 ? msg.size() : err_len - 1;
    std::memcpy(err, msg.data(), n);
    err[n] = '\0';
}

// Open `path` as this instance's trace, from its next cycle on. 0 on success; else -1 and a
// message in `err`.
int open_trace(Instance* s, const char* path, char* err, size_t err_len) {
    if (s->traced) {
        copy_error("this instance already had a trace (one trace per instance)", err, err_len);
        return -1;
    }
    // The trace writers do not survive a file they cannot create: check first.
    std::FILE* f = std::fopen(path, "wb");
    if (!f) {
        copy_error(std::string("cannot create ") + kTraceKind + " trace file " + path + ": " +
                       std::strerror(errno),
                   err, err_len);
        return -1;
    }
    std::fclose(f);
    Verilated::threadContextp(s->ctx.get());
    s->traced = true;
    s->trace = std::make_unique<TraceFile>();
    s->trace->set_time_resolution(kTraceResolution);
    s->top->trace(s->trace.get(), 99);
    s->trace->open(path);
    if (!s->trace->isOpen()) {
        s->trace.reset();
        copy_error(std::string("cannot open ") + kTraceKind + " trace file " + path, err, err_len);
        return -1;
    }
    return 0;
}

}  // namespace

extern "C" {

// A new instance with its own VerilatedContext; with `trace` non-null, every cycle is
// dumped to that file. Returns null (and a message in `err`) on failure.
void* TXOE_FN(new)(const char* trace, char* err, size_t err_len) {
    std::unique_ptr<Instance> s;
    try {
        s = std::make_unique<Instance>();
        s->ctx = std::make_unique<VerilatedContext>();
        Verilated::threadContextp(s->ctx.get());
        // Before construction, so that a trace can be opened at any later cycle.
        s->ctx->traceEverOn(true);
        s->top = std::make_unique<Model>(s->ctx.get(), "TOP");
        if (trace && open_trace(s.get(), trace, err, err_len) != 0) {
            s->top->final();
            return nullptr;
        }
    } catch (const TxoeVlFatal& e) {
        copy_error(e.message, err, err_len);
        return nullptr;
    } catch (const std::exception& e) {
        copy_error(e.what(), err, err_len);
        return nullptr;
    } catch (...) {
        copy_error("unknown C++ exception while constructing the model", err, err_len);
        return nullptr;
    }
    txoe_vl_output_flush();
    return s.release();
}

// Start dumping to `path` from the next cycle on (cycle c at c ns, as if the trace had been
// open from cycle 0). 0 on success; else -1 and a message in `err`.
int TXOE_FN(trace_open)(void* p, const char* path, char* err, size_t err_len) {
    Instance* s = static_cast<Instance*>(p);
    try {
        return open_trace(s, path, err, err_len);
    } catch (const TxoeVlFatal& e) {
        copy_error(e.message, err, err_len);
    } catch (const std::exception& e) {
        copy_error(e.what(), err, err_len);
    }
    return -1;
}

// Flush and close the trace; later cycles are not dumped.
void TXOE_FN(trace_close)(void* p) {
    Instance* s = static_cast<Instance*>(p);
    if (s->trace) {
        s->trace->close();
        s->trace.reset();
    }
}

// One clock cycle (see the top of this file); `exp`, when non-null and a trace is open,
// drives the wrapper's exp_* inputs. Returns 0, or 1 once the model has stopped on an
// error (then `out` is not written; see <prefix>error).
int TXOE_FN(cycle)(void* p, const TxoeInputs* in, const TxoeExpected* exp, TxoeOutputs* out) {
    Instance* s = static_cast<Instance*>(p);
    if (!s->error.empty()) return 1;
    Model* t = s->top.get();
    VerilatedContext* ctx = s->ctx.get();
    try {
        Verilated::threadContextp(ctx);
        const uint64_t c = s->cycle;
        auto& io = ports(t);
        drive(&io, in);
        ctx->time(kSimPerCycle * c);
        if (TraceFile* tf = s->trace.get()) {
            io.trace_on = 1;
            io.cycle = c;
            if (exp) expect(&io, exp);
            t->eval();
            sample(&io, out);
            tf->dump(kTicks * c);
            io.clk = 0;
            ctx->time(kSimPerCycle * c + kSimPerCycle / 2);
            t->eval();
            tf->dump(kTicks * c + kTicks / 2);
        } else {
            io.trace_on = 0;
            io.clk = 0;
            t->eval();
            sample(&io, out);
        }
        io.clk = 1;
        ctx->time(kSimPerCycle * (c + 1));
        t->eval();
        s->cycle = c + 1;
        if (!txoe_vl_output.empty()) txoe_vl_output_flush();
    } catch (const TxoeVlFatal& e) {
        s->error = e.message;
    } catch (const std::exception& e) {
        s->error = e.what();
    } catch (...) {
        s->error = "unknown C++ exception in eval";
    }
    if (!s->error.empty()) {
        if (s->trace) s->trace->flush();
        return 1;
    }
    return 0;
}

// The reference loop a plain C++ Verilator testbench runs: for each of `n` recorded
// input vectors, set the inputs, eval with clk low, read the outputs into `outs[i]`,
// raise clk, eval; all in C++ within this one call, untraced. It clocks exactly as `cycle`
// does without a trace, so replaying the inputs a Rust run drove reproduces that run's
// outputs. A trace, if open, misses these cycles. Returns the cycles clocked: `n`, or fewer when the model stopped on an error
// (see <prefix>error).
size_t TXOE_FN(replay)(void* p, const TxoeInputs* ins, size_t n, TxoeOutputs* outs) {
    Instance* s = static_cast<Instance*>(p);
    if (!s->error.empty()) return 0;
    Model* t = s->top.get();
    VerilatedContext* ctx = s->ctx.get();
    size_t i = 0;
    try {
        Verilated::threadContextp(ctx);
        auto& io = ports(t);
        io.trace_on = 0;
        uint64_t c = s->cycle;
        for (; i < n; ++i, ++c) {
            drive(&io, &ins[i]);
            ctx->time(kSimPerCycle * c);
            io.clk = 0;
            t->eval();
            sample(&io, &outs[i]);
            io.clk = 1;
            ctx->time(kSimPerCycle * (c + 1));
            t->eval();
        }
    } catch (const TxoeVlFatal& e) {
        s->error = e.message;
    } catch (const std::exception& e) {
        s->error = e.what();
    } catch (...) {
        s->error = "unknown C++ exception in eval";
    }
    s->cycle += i;
    txoe_vl_output_flush();
    return i;
}

// The error that stopped the instance, or null.
const char* TXOE_FN(error)(const void* p) {
    const Instance* s = static_cast<const Instance*>(p);
    return s->error.empty() ? nullptr : s->error.c_str();
}

// final(), close the trace, free everything.
void TXOE_FN(free)(void* p) {
    std::unique_ptr<Instance> s(static_cast<Instance*>(p));
    if (!s) return;
    try {
        Verilated::threadContextp(s->ctx.get());
        s->top->final();
    } catch (...) {
        // The instance is being dropped: a failing final block has nothing left to stop.
    }
    txoe_vl_output_flush();
    if (s->trace) s->trace->close();
    s->trace.reset();
    s->top.reset();
    s->ctx.reset();
    // Leave no pointer to the freed context in the runtime's thread and last-used slots.
    Verilated::threadContextp(nullptr);
}

}  // extern "C"
