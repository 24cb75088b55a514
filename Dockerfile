# sifrac on the official DOLFINx 0.11 image: DOLFINx/PETSc come from the image, so the project is
# installed without its `pip` extra (which would bring a second DOLFINx/PETSc/MPI).
FROM dolfinx/dolfinx:v0.11.0

ENV PYVISTA_OFF_SCREEN=true \
    MPLBACKEND=Agg

# Off-screen rendering libraries for PyVista/VTK.
RUN apt-get update && apt-get install -y --no-install-recommends libgl1 libxrender1 libosmesa6 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/sifrac
COPY pyproject.toml README.md ./
COPY solver ./solver
COPY meshes ./meshes
COPY postprocess ./postprocess
COPY cases ./cases
RUN python3 -m pip install --no-cache-dir ".[test]"

WORKDIR /work
ENTRYPOINT ["sifrac"]
CMD ["--help"]
