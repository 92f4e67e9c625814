/* N-body gravitational simulation with a semi-implicit (symplectic) Euler
 * integrator: all-pairs forces, one sqrt per pair, double precision. The
 * bodies are a generated system (a heavy central mass and lighter bodies on
 * roughly circular orbits); total energy is checked at the end. */
#include <math.h>

#include "harness.h"

#define BODIES 16

typedef struct {
  double x, y, z, vx, vy, vz, mass;
} body;

static body bodies[BODIES];

static void setup(void) {
  bench_rng rng = {2024};
  bodies[0] = (body){0, 0, 0, 0, 0, 0, 1000.0};
  for (int i = 1; i < BODIES; i++) {
    double r = 5.0 + 40.0 * bench_next_double(&rng);
    double angle = 6.283185307179586 * bench_next_double(&rng);
    double c = cos(angle), s = sin(angle);
    double speed = sqrt(1000.0 / r);
    bodies[i].x = r * c;
    bodies[i].y = r * s;
    bodies[i].z = (bench_next_double(&rng) - 0.5) * 0.5;
    bodies[i].vx = -speed * s;
    bodies[i].vy = speed * c;
    bodies[i].vz = 0.0;
    bodies[i].mass = 0.01 + 0.1 * bench_next_double(&rng);
  }
  /* Remove net momentum so the system stays put. */
  double px = 0, py = 0, pz = 0;
  for (int i = 1; i < BODIES; i++) {
    px += bodies[i].vx * bodies[i].mass;
    py += bodies[i].vy * bodies[i].mass;
    pz += bodies[i].vz * bodies[i].mass;
  }
  bodies[0].vx = -px / bodies[0].mass;
  bodies[0].vy = -py / bodies[0].mass;
  bodies[0].vz = -pz / bodies[0].mass;
}

static void step(double dt) {
  for (int i = 0; i < BODIES; i++) {
    body *a = &bodies[i];
    for (int j = i + 1; j < BODIES; j++) {
      body *b = &bodies[j];
      double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
      double d2 = dx * dx + dy * dy + dz * dz + 1e-3; /* softening */
      double mag = dt / (d2 * sqrt(d2));
      a->vx -= dx * b->mass * mag;
      a->vy -= dy * b->mass * mag;
      a->vz -= dz * b->mass * mag;
      b->vx += dx * a->mass * mag;
      b->vy += dy * a->mass * mag;
      b->vz += dz * a->mass * mag;
    }
  }
  for (int i = 0; i < BODIES; i++) {
    bodies[i].x += dt * bodies[i].vx;
    bodies[i].y += dt * bodies[i].vy;
    bodies[i].z += dt * bodies[i].vz;
  }
}

static double energy(void) {
  double e = 0.0;
  for (int i = 0; i < BODIES; i++) {
    body *a = &bodies[i];
    e += 0.5 * a->mass * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
    for (int j = i + 1; j < BODIES; j++) {
      body *b = &bodies[j];
      double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
      e -= a->mass * b->mass / sqrt(dx * dx + dy * dy + dz * dz + 1e-3);
    }
  }
  return e;
}

int32_t run(void) {
  BENCH_PARAM(steps, 550000);
  setup();
  uint64_t h = 0;
  double e0 = energy();
  h = bench_mix_double(h, e0);
  for (uint32_t s = 0; s < steps; s++) step(0.0001);
  double e1 = energy();
  h = bench_mix_double(h, e1);
  /* Energy must be (nearly) conserved; a broken integrator changes the checksum. */
  double drift = fabs((e1 - e0) / e0);
  h = bench_mix(h, drift < 1e-3);
  for (int i = 0; i < BODIES; i++) h = bench_mix_double(h, bodies[i].x);
  return bench_result(h);
}
