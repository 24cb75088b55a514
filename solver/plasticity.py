"""J2 (von Mises) plasticity of lithiated Si as a closed-form radial return in UFL.

Additive split eps = eps_e + eps_c + eps_p (elastic, chemical, plastic) of the small strain, or of
the Hencky strain in finite strain (solver/kinematics.py). The plastic
state (eps_p, equivalent plastic strain p) lives at the quadrature points of the mechanics forms
and is updated only when a step is accepted, so every Newton and staggered iteration of a step
returns from the same converged state. Because the return mapping is written in UFL as a function
of the displacement, `ufl.derivative` of the residual gives the consistent (algorithmic) tangent
and Newton converges quadratically.

Yield: f = q(s) - (sigma_y(c) + H p) <= 0 with q = sqrt(3/2 s:s) the von Mises stress of the
trial deviator s = 2 mu dev(eps_e_trial). Linear isotropic hardening H >= 0 (H = 0: perfect
plasticity). The yield stress varies linearly with Li concentration between its pristine and
lithiated values (Sethuraman et al. 2010 measured about 1.75 GPa early in lithiation and about
1 GPa for the lithiated film).

With damage d the stress is sigma = g(d) sigma_eff (on the split's degraded part) and the yield
condition acts on the nominal stress: q(g sigma_eff) <= sigma_y, i.e. the return mapping runs on
the effective stress with the yield stress sigma_y / g(d). This is the gradient-damage/plasticity
coupling of Alessi, Marigo & Vidoli (Arch. Ration. Mech. Anal. 214 (2014) 575) with undegraded
plastic dissipation. Why: with an undegraded effective yield stress the elastic energy is capped
at sigma_y^2/(2E), and AT1 damage then stalls at d = 1 - (sigma_c/sigma_y)^2 instead of forming a
crack; a cracking zone must open elastically, not flow. With the spectral or voldev split only the
degraded part scales with g, so the rule is exact for tension and approximate otherwise.
Damage is driven by the elastic energy only: the plastic work does not drive cracks (the LixSi
shell dissipates it; cracks are driven by stored elastic energy, as in the energy-release-rate
argument for the critical size).
"""

from __future__ import annotations

import ufl

#: Guards the square root of the deviator norm at zero stress (GPa^2): keeps the tangent finite.
_TINY = 1e-24


def yield_stress(c, pristine: float, lithiated: float) -> ufl.core.expr.Expr:
    """sigma_y(c) linear between the pristine (c = 0) and lithiated (c = 1) flow stresses."""
    return pristine + (lithiated - pristine) * c


def radial_return(eps_e_trial, mu, sigma_y, hardening, p_old, active) -> tuple:
    """(plastic strain increment, equivalent plastic strain increment) of one implicit step.

    `active` is 1 where the material may flow and 0 in elastic regions (electrolyte, collector).
    The increment is along the trial deviator (normality), of size dp = f+/(3 mu + H).
    """
    s = 2 * mu * ufl.dev(eps_e_trial)
    q = ufl.sqrt(1.5 * ufl.inner(s, s) + _TINY)
    f = q - (sigma_y + hardening * p_old)
    dp = active * ufl.conditional(ufl.gt(f, 0), f / (3 * mu + hardening), 0)
    return dp * 1.5 * s / q, dp
