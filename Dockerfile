# The project's own image: the CLI, trainer and evaluator.
#
# Offline build (no registry, no index): prepare the wheelhouse beside this file, then build on a
# base that has python3 + venv.
#   bash scripts/build_wheelhouse.sh            # ./wheelhouse: this project + every dependency
#   docker build --build-arg BASE_IMAGE=srl-trainer/base:bookworm -t srl-trainer .
# GPU users pick a CUDA PyTorch base instead, e.g.
#   --build-arg BASE_IMAGE=pytorch/pytorch:2.8.0-cuda12.8-cudnn9-runtime
ARG BASE_IMAGE=srl-trainer/base:bookworm
FROM ${BASE_IMAGE}

COPY wheelhouse /tmp/wheelhouse
COPY data /opt/srl-trainer/data
# --system-site-packages keeps a base image's own CUDA torch visible; --no-index keeps the build offline.
RUN python3 -m venv --system-site-packages /opt/venv \
    && /opt/venv/bin/pip install --no-index --find-links /tmp/wheelhouse srl-trainer \
    && rm -rf /tmp/wheelhouse /root/.cache

ENV PATH=/opt/venv/bin:$PATH \
    SRL_TRAINER_DATA=/opt/srl-trainer/data
WORKDIR /work
ENTRYPOINT ["python", "-m", "srl_trainer.swe"]
CMD ["--help"]
