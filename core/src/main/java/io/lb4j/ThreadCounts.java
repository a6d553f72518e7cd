package io.lb4j;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Per-endpoint counters that every pick or release adds to and only a few readers sum (meters,
 * outlier sweeps, {@link LoadBalancer#requests}, {@link LoadBalancer#inFlight}): each thread that
 * counts gets its own block of cells in this balancer and writes only that block, with plain
 * stores, so a pick + release never writes a cache line that another core writes and costs no
 * atomic instruction. A value is the sum over the blocks, computed when read.
 *
 * <p>Every endpoint state holds a <em>slot</em>: six cells, {@code started} (picks and
 * begins counted here) and one per {@link Outcome} (releases). All cells only grow, so a sum never
 * goes back, and the requests in flight are {@code started - (sum of outcomes)}: {@link #inFlight}
 * reads the outcome cells (acquire) before the started cells, and each release's outcome is written
 * (release) after its pick's start, so a start is always seen when its end is: the count is never
 * below the truth, and 0 means every request it saw has ended.
 *
 * <p>Memory: six longs (48 bytes) per slot for each thread that has counted on this
 * balancer. A block whose thread died is folded into a shared base when the next thread registers,
 * so pools that replace their threads do not accumulate blocks. Slots of endpoints that left are
 * reused; the state that takes one over subtracts what the slot held (its baseline).
 */
final class ThreadCounts {

  /** Cells per slot: started, then one per outcome. */
  static final int STRIDE = 1 + Outcome.values().length;
  private static final int STARTED = 0;
  private static final VarHandle CELLS = MethodHandles.arrayElementVarHandle(long[].class);

  /** What readers sum: the live blocks and the folded counts of dead threads, swapped as a unit. */
  private record View(Block[] blocks, long[] retired) {}

  private final ThreadLocal<Block> local = ThreadLocal.withInitial(this::register);
  private final Object lock = new Object();
  private volatile View view = new View(new Block[0], new long[0]);
  /** Slots handed out so far; blocks grow to it. Written under {@link #lock}. */
  private volatile int capacity;
  /** Slots given back, reused first. Guarded by {@link #lock}. */
  private final List<Integer> free = new ArrayList<>();
  /** The baseline of a slot never used before: nothing to subtract. Do not modify. */
  static final long[] NO_BASELINE = new long[STRIDE];

  /**
   * The right to release one request once: a selection holds a ticket and the generation it was
   * claimed at; the first release moves the generation on (one compare-and-set on the ticket), so a
   * second release, however late, finds another generation and does nothing. Tickets are reused by
   * their thread, so a pick allocates nothing, and the selection object holds no atomic field (a
   * selection that does not escape the method that picks and releases is then scalar-replaced).
   * An odd generation is in use, an even one free.
   */
  static final class Ticket {
    private static final VarHandle GENERATION;

    static {
      try {
        GENERATION = MethodHandles.lookup().findVarHandle(Ticket.class, "generation", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    /** The cells of the thread that claimed it; null for a one-off ticket. */
    final Block block;
    private volatile int generation;

    Ticket(Block block) {
      this.block = block;
    }

    /** A ticket for one request outside any balancer's counts (claimed, generation 1). */
    static Ticket oneOff() {
      Ticket t = new Ticket(null);
      t.generation = 1;
      return t;
    }

    /** The generation it was claimed at (odd while in use). */
    int generation() {
      return generation;
    }

    /** Ends the claim at {@code claimed}: true once per claim, false for any later or stale call. */
    boolean release(int claimed) {
      return GENERATION.compareAndSet(this, claimed, claimed + 1);
    }

    private boolean free() {
      return (generation & 1) == 0;
    }

    /** Claims a free ticket; owner thread only (no releaser can hold its new generation yet). */
    private void claim() {
      GENERATION.setRelease(this, generation + 1);
    }
  }

  /** One thread's cells and tickets; only its owner writes the cells and claims the tickets. */
  static final class Block {
    final Thread owner;
    private final ThreadCounts counts;
    private volatile long[] cells;
    /** A ring of tickets; a request in flight keeps its ticket, so async callers need several. */
    private Ticket[] tickets;
    private int cursor;

    private Block(Thread owner, ThreadCounts counts, int slots) {
      this.owner = owner;
      this.counts = counts;
      this.cells = new long[Math.max(1, slots) * STRIDE];
      this.tickets = new Ticket[] {new Ticket(this)};
    }

    /**
     * A free ticket, claimed: the one after the last claimed if free (always, when each request is
     * released before the next is picked), else the next free one in the ring; a full ring doubles.
     */
    Ticket claim() {
      Ticket[] ts = tickets;
      int n = ts.length;
      int c = cursor;
      for (int i = 0; i < n; i++) {
        Ticket t = ts[c];
        if (t.free()) {
          cursor = c;
          t.claim();
          return t;
        }
        c = c + 1 == n ? 0 : c + 1;
      }
      Ticket[] bigger = Arrays.copyOf(ts, n * 2);
      for (int i = n; i < bigger.length; i++) {
        bigger[i] = new Ticket(this);
      }
      tickets = bigger;
      cursor = n;
      bigger[n].claim();
      return bigger[n];
    }

    /** Counts one start in {@code slot}; owner thread only. */
    void start(int slot) {
      add(slot * STRIDE + STARTED);
    }

    /** Counts one release with this outcome in {@code slot}; owner thread only. */
    void end(int slot, Outcome outcome) {
      add(slot * STRIDE + 1 + outcome.ordinal());
    }

    private void add(int cell) {
      long[] c = cells;
      if (cell >= c.length) {
        c = grow(cell);
      }
      // The owner is the only writer: a plain read and a release store, no atomic instruction.
      CELLS.setRelease(c, cell, c[cell] + 1);
    }

    private long[] grow(int cell) {
      int slots = Math.max(counts.capacity, cell / STRIDE + 1);
      long[] bigger = Arrays.copyOf(cells, slots * STRIDE);
      cells = bigger; // readers see the old array (complete) or this one; only the owner writes either
      return bigger;
    }

    private long get(int cell) {
      long[] c = cells;
      return cell < c.length ? (long) CELLS.getAcquire(c, cell) : 0L;
    }
  }

  /** The calling thread's block, registered on its first count. */
  Block local() {
    return local.get();
  }

  /**
   * A slot for a new endpoint state: a new one, or {@code ~slot} (negative) for one given back, which
   * may hold counts (take its {@link #baseline}).
   */
  int allocate() {
    synchronized (lock) {
      if (!free.isEmpty()) {
        return ~free.remove(free.size() - 1);
      }
      int slot = capacity;
      capacity = slot + 1;
      return slot;
    }
  }

  /** Gives a slot back once its endpoint state is dropped for good. */
  void release(int slot) {
    synchronized (lock) {
      free.add(slot);
    }
  }

  /** What a reused {@code slot}'s cells hold now: the baseline that the state taking it over subtracts. */
  long[] baseline(int slot) {
    long[] out = new long[STRIDE];
    for (int i = STRIDE - 1; i >= 0; i--) { // outcomes before started, as inFlight reads them
      out[i] = sum(slot * STRIDE + i);
    }
    return out;
  }

  /** Releases with this outcome counted in {@code slot}, minus the baseline. */
  long requests(int slot, long[] baseline, Outcome outcome) {
    int i = 1 + outcome.ordinal();
    return sum(slot * STRIDE + i) - baseline[i];
  }

  /** Starts minus ends in {@code slot}, minus the baseline's; never below the truth (see class doc). */
  int inFlight(int slot, long[] baseline) {
    long ended = 0;
    for (int i = 1; i < STRIDE; i++) {
      ended += sum(slot * STRIDE + i) - baseline[i];
    }
    long started = sum(slot * STRIDE + STARTED) - baseline[STARTED];
    return (int) Math.max(0, started - ended);
  }

  private long sum(int cell) {
    View v = view;
    long s = cell < v.retired.length ? v.retired[cell] : 0L;
    for (Block b : v.blocks) {
      s += b.get(cell);
    }
    return s;
  }

  /** Makes the calling thread's block; folds the blocks of threads that have died. */
  private Block register() {
    Thread me = Thread.currentThread();
    synchronized (lock) {
      View v = view;
      List<Block> live = new ArrayList<>(v.blocks.length + 1);
      long[] retired = v.retired;
      for (Block b : v.blocks) {
        if (b.owner.isAlive()) {
          live.add(b);
        } else {
          // The thread has ended (isAlive() false orders its last writes before these reads).
          long[] c = b.cells;
          retired = Arrays.copyOf(retired, Math.max(retired.length, c.length));
          for (int i = 0; i < c.length; i++) {
            retired[i] += c[i];
          }
        }
      }
      Block mine = new Block(me, this, capacity);
      live.add(mine);
      view = new View(live.toArray(new Block[0]), retired);
      return mine;
    }
  }

  /** Threads whose blocks are live (registered, not yet folded); for tests. */
  int blocks() {
    return view.blocks.length;
  }
}
